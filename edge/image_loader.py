"""Images from files or arrays, shaped as an image model expects: `uint8` `(height, width, channels)`.

Files are decoded exactly as the training data was (`tfmodels/data/image_folder.py`): Pillow, first frame of a GIF,
converted to 8-bit grey (`L`) or `RGB` by `to_8bit_image` (transparency flattened onto black, 16-bit values reduced
to their high byte), resized with bilinear filtering when the size differs (aspect ratio not kept). Arrays are taken as they are and must already have the model's shape: guessing how
to convert an array (is it 0..1 or 0..255? RGB or BGR?) would hide mistakes.
"""

from __future__ import annotations

from collections.abc import Iterable
import os
from typing import Union

import numpy as np
from PIL import Image

from edge.edge_error import EdgeError

IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF")

ImageInput = Union[str, os.PathLike, np.ndarray]

# Grey modes wider than 8 bits: Pillow opens a 16-bit grey PNG as `I;16` (some versions and formats: `I`).
_WIDE_GREY_MODES = frozenset(("I", "I;16", "I;16L", "I;16B", "I;16N"))


def to_8bit_image(image: Image.Image, channels: int) -> Image.Image:
  """Returns a Pillow image as the models see every image file: 8-bit grey (`L`, `channels=1`) or `RGB` (3).

  Transparency is flattened onto black. 16-bit grey keeps the high byte of each value (v >> 8, 65535 -> 255):
  Pillow's own `convert("L")` clips every value above 255 to white. The high byte is also what Pillow keeps of a
  16-bit colour PNG and what TensorFlow's PNG decoder (the SavedModel's `serving_bytes`) gives for any 16-bit PNG, so
  training, serving and the edge runtime see the same pixels. (v / 257 rounded would differ from both by up to 1.)

  Args:
    image: any Pillow image (an animated one at its current frame).
    channels: 1 (grey) or 3 (RGB).
  """
  if image.mode in _WIDE_GREY_MODES:
    values = np.asarray(image, np.int64)  # (H, W); `I` holds the 16-bit values in 32-bit integers
    grey = np.clip(values >> 8, 0, 255).astype(np.uint8)
    if isinstance(image.info.get("transparency"), int):
      grey[values == image.info["transparency"]] = 0  # the PNG's transparent grey value: flattened onto black
    image = Image.fromarray(grey, "L")
  elif image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
    image = Image.alpha_composite(Image.new("RGBA", image.size, (0, 0, 0, 255)), image.convert("RGBA"))
  return image.convert("L" if channels == 1 else "RGB")


class ImageLoader:
  """Loads images for a model with input `(height, width, channels)`.

  Args:
    height: image height the model expects.
    width: image width the model expects.
    channels: 1 (grey) or 3 (RGB).
  """

  def __init__(self, height: int, width: int, channels: int):
    if channels not in (1, 3):
      raise EdgeError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}.")
    self.height = height
    self.width = width
    self.channels = channels

  @property
  def shape(self) -> tuple[int, int, int]:
    """`(height, width, channels)` of every loaded image."""
    return (self.height, self.width, self.channels)

  def load(self, image: ImageInput) -> np.ndarray:
    """Returns one image as `uint8` `(height, width, channels)`, from a file path or an array of exactly that shape."""
    if isinstance(image, np.ndarray):
      return self._check_array(image)
    if isinstance(image, (str, os.PathLike)):
      return self._decode(os.fspath(image))
    raise EdgeError(f"Expected an image file path or a numpy array, got {type(image).__name__}.")

  def load_batch(self, images: ImageInput | Iterable[ImageInput]) -> np.ndarray:
    """Returns images as `uint8` `(N, height, width, channels)`; a single path or `(H, W, C)` array counts as one."""
    if isinstance(images, (str, os.PathLike)) or (isinstance(images, np.ndarray) and images.ndim == 3):
      images = [images]
    loaded = [self.load(image) for image in images]
    return np.stack(loaded) if loaded else np.zeros((0, *self.shape), np.uint8)

  def _check_array(self, array: np.ndarray) -> np.ndarray:
    if array.dtype != np.uint8 or array.shape != self.shape:
      raise EdgeError(
          f"Expected a uint8 image array of shape {self.shape} (height, width, channels) with pixel values 0..255, "
          f"got a {array.dtype} array of shape {array.shape}. Pass the image file instead (it is converted and "
          f"resized), or convert the array first, e.g. np.asarray(array, np.uint8).reshape{self.shape}.")
    return array

  def _decode(self, path: str) -> np.ndarray:
    if not os.path.exists(path):
      raise EdgeError(f"Image file {path} not found: check the path.")
    if os.path.isdir(path):
      raise EdgeError(f"{path} is a folder: give image files ({', '.join(IMAGE_FORMATS).lower()}).")
    try:
      # Image.open starts at the first frame, which is what an animated GIF gives.
      with Image.open(path) as image:
        if image.format not in IMAGE_FORMATS:
          raise EdgeError(f"{path} is a {image.format} image: use PNG, JPEG, BMP or GIF (convert it first).")
        image = to_8bit_image(image, self.channels)
        if image.size != (self.width, self.height):
          image = image.resize((self.width, self.height), Image.Resampling.BILINEAR)
        return np.asarray(image, np.uint8).reshape(self.shape)
    except EdgeError:
      raise
    except Image.UnidentifiedImageError:
      raise EdgeError(f"{path} is not an image file: give PNG, JPEG, BMP or GIF files.") from None
    except Exception as error:  # pylint: disable=broad-except  # Pillow raises many types for damaged files.
      raise EdgeError(f"Cannot decode image {path} ({type(error).__name__}: {error}): the file is damaged or "
                      "truncated; re-save or re-copy it.") from None
