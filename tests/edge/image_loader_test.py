"""Tests of edge/image_loader.py: files decoded as the training data was, arrays taken only at the exact shape."""

import shutil

import numpy as np
from PIL import Image
import pytest

from edge import EdgeError, ImageLoader
from edge.image_loader import to_8bit_image
from tfmodels.config import DataConfig
from tfmodels.data import load_dataset


def _gradient(height: int, width: int, channels: int) -> np.ndarray:
  values = np.arange(height * width * channels, dtype=np.int64).reshape(height, width, channels) * 7 % 256
  return values.astype(np.uint8)


@pytest.fixture(scope="module")
def image_files(tmp_path_factory) -> dict[str, str]:
  """One file per kind of image the loader must handle, named by kind."""
  folder = tmp_path_factory.mktemp("images")
  rgb, grey = _gradient(16, 20, 3), _gradient(16, 20, 1)[..., 0]
  rgba = np.concatenate([rgb, np.full((16, 20, 1), 128, np.uint8)], axis=-1)
  rgba[:4, :, 3] = 0
  files = {
      "rgb_png": (Image.fromarray(rgb), "png"),
      "grey_png": (Image.fromarray(grey), "png"),
      "rgba_png": (Image.fromarray(rgba), "png"),
      "rgb_jpg": (Image.fromarray(rgb), "jpg"),
      "grey_jpeg": (Image.fromarray(grey), "jpeg"),
      "rgb_bmp": (Image.fromarray(rgb), "bmp"),
      "palette_gif": (Image.fromarray(rgb).convert("P"), "gif"),
  }
  paths = {}
  for name, (image, extension) in files.items():
    paths[name] = str(folder / f"{name}.{extension}")
    image.save(paths[name])
  # A GIF with a transparent palette entry, and one with two frames (the first counts).
  transparent = Image.fromarray(grey).convert("P")
  paths["transparent_gif"] = str(folder / "transparent_gif.gif")
  transparent.save(paths["transparent_gif"], transparency=0)
  paths["animated_gif"] = str(folder / "animated_gif.gif")
  frames = [Image.fromarray(rgb).convert("P"), Image.fromarray(255 - rgb).convert("P")]
  frames[0].save(paths["animated_gif"], save_all=True, append_images=frames[1:])
  return paths


@pytest.mark.parametrize("channels", [1, 3])
def test_every_kind_of_file_gets_the_model_shape(image_files, channels):
  loader = ImageLoader(8, 10, channels)
  for path in image_files.values():
    image = loader.load(path)
    assert image.shape == (8, 10, channels) and image.dtype == np.uint8, path


@pytest.mark.parametrize("channels", [1, 3])
def test_files_decode_exactly_as_the_training_data(image_files, tmp_path, channels):
  # Each image becomes its own class of an images:DIR data set, so the data layer's pixels can be found by label.
  for split in ("train", "validation", "test"):
    for name, path in image_files.items():
      (tmp_path / split / name).mkdir(parents=True)
      shutil.copy(path, tmp_path / split / name)
  config = DataConfig(dataset=f"images:{tmp_path}", image_size=(8, 10), image_channels=channels)
  dataset = load_dataset(config)
  pixels, labels = dataset.split_arrays("train")
  loader = ImageLoader(8, 10, channels)
  for index, name in enumerate(dataset.label_names):
    np.testing.assert_array_equal(loader.load(image_files[name]), pixels[labels == index][0], err_msg=name)


def test_same_size_files_keep_their_pixels(image_files):
  np.testing.assert_array_equal(ImageLoader(16, 20, 3).load(image_files["rgb_png"]), _gradient(16, 20, 3))
  np.testing.assert_array_equal(ImageLoader(16, 20, 1).load(image_files["grey_png"]), _gradient(16, 20, 1))


def test_transparency_is_flattened_onto_black(image_files):
  image = ImageLoader(16, 20, 3).load(image_files["rgba_png"])
  assert not image[:4].any()
  # Half-transparent pixels keep about half their value (Pillow rounds its own way: allow 1).
  np.testing.assert_allclose(image[4:], _gradient(16, 20, 3)[4:].astype(np.float64) * 128 / 255, atol=1)


def test_arrays_of_the_exact_shape_pass_unchanged():
  array = _gradient(8, 10, 1)
  assert ImageLoader(8, 10, 1).load(array) is array


@pytest.mark.parametrize("array", [
    np.zeros((8, 10), np.uint8),
    np.zeros((10, 8, 1), np.uint8),
    np.zeros((8, 10, 3), np.uint8),
    np.zeros((8, 10, 1), np.float32),
])
def test_arrays_of_another_shape_or_dtype_are_errors_naming_the_expected_shape(array):
  with pytest.raises(EdgeError, match=r"uint8 image array of shape \(8, 10, 1\)"):
    ImageLoader(8, 10, 1).load(array)


def test_load_batch_accepts_one_item_or_many(image_files):
  loader = ImageLoader(8, 10, 3)
  assert loader.load_batch(image_files["rgb_png"]).shape == (1, 8, 10, 3)
  assert loader.load_batch(_gradient(8, 10, 3)).shape == (1, 8, 10, 3)
  assert loader.load_batch(np.zeros((4, 8, 10, 3), np.uint8)).shape == (4, 8, 10, 3)
  assert loader.load_batch([image_files["rgb_png"], _gradient(8, 10, 3)]).shape == (2, 8, 10, 3)
  assert loader.load_batch([]).shape == (0, 8, 10, 3)


def test_bad_files_are_errors_naming_the_problem(image_files, tmp_path):
  loader = ImageLoader(8, 10, 3)
  with pytest.raises(EdgeError, match="not found"):
    loader.load(tmp_path / "missing.png")
  with pytest.raises(EdgeError, match="is a folder"):
    loader.load(tmp_path)
  (tmp_path / "notes.png").write_text("not an image at all")
  with pytest.raises(EdgeError, match="is not an image file"):
    loader.load(tmp_path / "notes.png")
  data = open(image_files["rgb_jpg"], "rb").read()
  (tmp_path / "truncated.jpg").write_bytes(data[:len(data) // 2])
  with pytest.raises(EdgeError, match="damaged or truncated"):
    loader.load(tmp_path / "truncated.jpg")
  data = open(image_files["rgb_png"], "rb").read()
  (tmp_path / "corrupt.png").write_bytes(data[:60] + bytes(len(data) - 60))
  with pytest.raises(EdgeError, match="damaged or truncated"):
    loader.load(tmp_path / "corrupt.png")
  Image.fromarray(_gradient(8, 10, 3)).save(tmp_path / "picture.tiff")
  with pytest.raises(EdgeError, match="TIFF image: use PNG, JPEG, BMP or GIF"):
    loader.load(tmp_path / "picture.tiff")
  with pytest.raises(EdgeError, match="image file path or a numpy array"):
    loader.load(42)


def test_channels_must_be_one_or_three():
  with pytest.raises(EdgeError, match="channels"):
    ImageLoader(8, 8, 4)


@pytest.mark.parametrize("channels", [1, 3])
def test_a_16_bit_grey_png_keeps_its_high_byte_instead_of_clipping(tmp_path, channels):
  high = _gradient(16, 20, 1)[..., 0]
  low = np.random.default_rng(0).integers(0, 256, high.shape)
  wide = (high.astype(np.uint16) << 8) + low.astype(np.uint16)  # (16, 20) uint16, values up to 65535
  path = tmp_path / "wide.png"
  Image.fromarray(wide).save(path)
  with Image.open(path) as image:
    assert image.mode == "I;16"  # what Pillow opens a 16-bit grey PNG as, and `convert("L")` clips to 0..255
    assert (np.asarray(image.convert("L")) == 255).mean() > 0.9
  loaded = ImageLoader(16, 20, channels).load(str(path))
  np.testing.assert_array_equal(loaded, np.repeat(high[..., None], channels, axis=-1))


def test_to_8bit_image_reads_32_bit_grey_and_flattens_a_transparent_grey_value():
  values = np.array([[0, 255, 256, 65535], [1000, 1000, 40000, 70000]], np.int32)
  image = Image.fromarray(values, "I")
  np.testing.assert_array_equal(np.asarray(to_8bit_image(image, 1)), [[0, 0, 1, 255], [3, 3, 156, 255]])
  image.info["transparency"] = 1000
  converted = to_8bit_image(image, 3)
  assert converted.mode == "RGB"
  np.testing.assert_array_equal(np.asarray(converted)[..., 0], [[0, 0, 1, 255], [0, 0, 156, 255]])


def test_to_8bit_image_gives_8_bit_images_as_before():
  rgba = np.concatenate([_gradient(4, 4, 3), np.full((4, 4, 1), 0, np.uint8)], axis=-1)
  assert not np.asarray(to_8bit_image(Image.fromarray(rgba), 3)).any()  # fully transparent: black
  grey = _gradient(4, 4, 1)[..., 0]
  np.testing.assert_array_equal(np.asarray(to_8bit_image(Image.fromarray(grey), 1)), grey)
  assert to_8bit_image(Image.fromarray(grey), 3).mode == "RGB"
