"""User images sorted into label folders (`images:DIR`).

Layouts:
- `DIR/<label>/<image>`: one pool of examples; validation and test are carved from it (see `splits.py`).
- `DIR/train/<label>/<image>` with `DIR/test/<label>/<image>` and optionally `DIR/validation/<label>/<image>`: the
  given splits are kept; a missing validation or test split is carved from `train`.

Label names are the sorted names of the training label folders. Images are `.png`, `.jpg`, `.jpeg`, `.bmp` or `.gif`
(any letter case), decoded with Pillow; a GIF gives its first frame. Hidden entries (names starting with `.`, such as
`.DS_Store`) are ignored everywhere; any other file or folder inside a label folder is an error.

Mixed sizes and channel counts: models and exported files need one static input shape, so every image is converted
and resized to a single target:
- size `(H, W)`: `DataConfig.image_size` when set, else the most common size among the training images (a tie goes
  to the larger area, then the larger height);
- channels: `DataConfig.image_channels` when set, else the most common channel count among the training images,
  counting grey modes (`1`, `L`, `LA`, `I`, `I;16`, `F`) as 1 and every other mode (`RGB`, `RGBA`, `P`, `CMYK`...)
  as 3 (a tie goes to 3, which loses nothing);
- images with transparency are first flattened onto black, then converted to `L` (grey) or `RGB`;
- images of another size are resized to `(H, W)` with bilinear filtering; the aspect ratio is not kept.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import pathlib

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from edge.image_loader import to_8bit_image
from tfmodels.config import DataConfig
from tfmodels.data import fingerprint
from tfmodels.data import loaded_dataset
from tfmodels.data import preparation
from tfmodels.data.builders.split_carving_builder import carving_config
from tfmodels.data.builders.user_image_folder import ImageFolderSource, UserImageFolder
from tfmodels.data.data_error import DataError
from tfmodels.data.loaded_dataset import LoadedDataset

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_EXTENSIONS_TEXT = " ".join(IMAGE_EXTENSIONS)
_SPLIT_FOLDERS = ("train", "validation", "test")
_GREY_MODES = frozenset(("1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"))
_MAX_LISTED = 10
# Changes whenever the way images are converted changes, so older prepared copies are not read as current.
_FORMAT = "image-folder-4"


def load_image_folder(root: str, config: DataConfig) -> LoadedDataset:
  """Reads `root` (see the module docstring for the layouts and the size and channel policy).

  The images are checked, converted and written once as TFDS records under `<data_dir>/tfds/user/`, keyed by a
  fingerprint of the folder (see `fingerprint.py`); later loads of an unchanged folder read the records directly.
  """
  folder = pathlib.Path(root).expanduser()
  files = _find_files(folder)
  label_names = tuple(sorted(files["train"]))
  if len(label_names) < 2:
    raise DataError(f"Image folder {folder} has {len(label_names)} class(es) ({', '.join(label_names) or 'none'}); "
                    "a classifier needs at least 2. Add one label folder of images per class.")
  for split, by_label in files.items():
    unknown = sorted(set(by_label) - set(label_names))
    if unknown:
      raise DataError(f"Label folder(s) {', '.join(unknown)} in {folder / split} have no counterpart in "
                      f"{folder / 'train'}. Add training images for them or remove them from {split}/.")
  listed = {split: [(path, label_names.index(label)) for label in sorted(by_label) for path in by_label[label]]
            for split, by_label in files.items()}
  paths = [path for examples in listed.values() for path, _ in examples]
  policy = (_FORMAT, tuple(config.image_size), config.image_channels)
  location = fingerprint.prepared_location(config.data_dir, "images", folder, paths, policy)
  carving = carving_config(config.validation_fraction, config.test_fraction, config.split_seed, location.fingerprint)
  target = location.data_dir / UserImageFolder.name / carving.name / str(UserImageFolder.VERSION)

  def make_builder() -> tfds.core.DatasetBuilder:
    if (target / "dataset_info.json").exists():
      return tfds.builder_from_directory(str(target))
    return UserImageFolder(data_dir=str(location.data_dir), config=carving, source=_source(folder, label_names, listed,
                                                                                              config))

  builder = preparation.prepare(make_builder, location.data_dir, carving.name)
  fingerprint.remove_stale(location.data_dir / UserImageFolder.name, keep=carving.name)
  return loaded_dataset.from_prepared(config.dataset, builder)


def _source(folder: pathlib.Path, label_names: tuple[str, ...], listed: dict[str, list[tuple[pathlib.Path, int]]],
            config: DataConfig) -> ImageFolderSource:
  """Reads every header (fast: no pixels) to choose the target shape; unreadable files are reported by the builder
  together with those that fail to decode later."""
  with concurrent.futures.ThreadPoolExecutor() as pool:
    headers = {split: list(pool.map(_read_header, [path for path, _ in examples]))
               for split, examples in listed.items()}
  unreadable = [f"{path} ({header})" for split, examples in listed.items()
                for (path, _), header in zip(examples, headers[split]) if isinstance(header, str)]
  size, channels = _target_shape([header for header in headers["train"] if not isinstance(header, str)], config)
  readable = {split: [example for example, header in zip(examples, headers[split]) if not isinstance(header, str)]
              for split, examples in listed.items()}
  return ImageFolderSource(root=folder, label_names=label_names, shape=(*size, channels), files=readable,
                           decode=functools.partial(_decode, size=size, channels=channels), unreadable=unreadable)


def _find_files(folder: pathlib.Path) -> dict[str, dict[str, list[pathlib.Path]]]:
  """Image paths by split, then by label; raises DataError on a missing, empty or badly laid out folder."""
  if not folder.exists():
    raise DataError(f"Image folder {folder} does not exist. Check the path given as images:DIR.")
  if not folder.is_dir():
    raise DataError(f"{folder} is a file, not a folder. Give images:DIR a folder of label folders "
                    f"({folder.name}/<label>/*.png).")
  present = [name for name in _SPLIT_FOLDERS if (folder / name).is_dir()]
  if not present:
    return {"train": _label_folders(folder)}
  if "train" not in present:
    raise DataError(f"Image folder {folder} has {'/ and '.join(present)}/ but no train/. Add a train/ folder of "
                    "label folders, or drop the split folders and put the label folders directly in it.")
  others = sorted(entry.name for entry in _visible(folder) if entry.is_dir() and entry.name not in _SPLIT_FOLDERS)
  if others:
    raise DataError(f"Image folder {folder} mixes split folders ({', '.join(present)}) with other folders "
                    f"({', '.join(others)}). Move those label folders into train/ (and test/), or remove them.")
  return {name: _label_folders(folder / name) for name in present}


def _label_folders(folder: pathlib.Path) -> dict[str, list[pathlib.Path]]:
  """Image paths of each label folder directly inside `folder`."""
  entries = _visible(folder)
  loose = sorted(entry.name for entry in entries if entry.is_file() and _is_image(entry))
  if loose:
    raise DataError(f"{folder} holds images outside any label folder ({_listing(loose)}). Move each image into a "
                    f"folder named after its label: {folder}/<label>/{loose[0]}.")
  labels = [entry for entry in entries if entry.is_dir()]
  if not labels:
    raise DataError(f"Image folder {folder} has no label folders. Put the images of each class in a folder named "
                    f"after it: {folder}/<label>/*.png (or use train/ and test/ folders that hold label folders).")
  files: dict[str, list[pathlib.Path]] = {}
  strays: list[str] = []
  for label in labels:
    children = _visible(label)
    files[label.name] = [child for child in children if child.is_file() and _is_image(child)]
    strays += [str(child) + ("/" if child.is_dir() else "") for child in children
               if not (child.is_file() and _is_image(child))]
  if strays:
    raise DataError(f"Label folders in {folder} hold {len(strays)} entr{'y' if len(strays) == 1 else 'ies'} that "
                    f"are not images ({_EXTENSIONS_TEXT}): {_listing(strays)}. Move or delete them (hidden files such "
                    "as .DS_Store are ignored).")
  for label, paths in files.items():
    if not paths:
      raise DataError(f"Label folder '{label}' in {folder} has no images ({_EXTENSIONS_TEXT}). Add images or "
                      "remove the folder.")
  return files


def _visible(folder: pathlib.Path) -> list[pathlib.Path]:
  return sorted(entry for entry in folder.iterdir() if not entry.name.startswith("."))


def _is_image(path: pathlib.Path) -> bool:
  return path.suffix.lower() in IMAGE_EXTENSIONS


def _listing(names: list[str], separator: str = ", ") -> str:
  more = f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else ""
  return separator.join(names[:_MAX_LISTED]) + more


def _read_header(path: pathlib.Path) -> tuple[tuple[int, int], int] | str:
  """`((H, W), channels)` from the file header, or the reason it cannot be read."""
  try:
    with Image.open(path) as image:
      width, height = image.size
      return (height, width), (1 if image.mode in _GREY_MODES else 3)
  except Exception as error:  # pylint: disable=broad-except  # Pillow raises many types for bad files.
    return _reason(error)


def _target_shape(headers: list[tuple[tuple[int, int], int]], config: DataConfig) -> tuple[tuple[int, int], int]:
  """The `(H, W)` and channel count every image is converted to."""
  if config.image_size:
    size = (int(config.image_size[0]), int(config.image_size[1]))
  else:
    counts = collections.Counter(header[0] for header in headers)
    # With no readable training image there is no size to pick; the caller reports the bad files instead.
    size = max(counts, key=lambda hw: (counts[hw], hw[0] * hw[1], hw[0])) if counts else (1, 1)
  if config.image_channels:
    channels = config.image_channels
  else:
    counts = collections.Counter(header[1] for header in headers)
    channels = 1 if counts[1] > counts[3] else 3
  return size, channels


def _decode(path: pathlib.Path, size: tuple[int, int], channels: int) -> np.ndarray | str:
  """The image as `uint8` `(H, W, channels)`, or the reason it cannot be decoded."""
  try:
    # Image.open starts at the first frame, which is what an animated GIF gives.
    with Image.open(path) as image:
      # The one conversion the edge runtime uses too: 16-bit grey scaled, not clipped; transparency onto black.
      image = to_8bit_image(image, channels)
      if image.size != (size[1], size[0]):
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
      return np.asarray(image, np.uint8).reshape(size[0], size[1], channels)
  except Exception as error:  # pylint: disable=broad-except  # Pillow raises many types for bad files.
    return _reason(error)


def _reason(error: Exception) -> str:
  return f"{type(error).__name__}: {error}"
