"""Any TFDS data set by name: `tfds:NAME`, `tfds:NAME/CONFIG`, `tfds:NAME:VERSION` or `tfds:NAME/CONFIG:VERSION`.

Where the records are looked for, in order (the first folder that holds a prepared copy wins):
1. `DataConfig.data_dir` (or `$TFMODELS_DATA_DIR`) itself, in the standard TFDS layout `DIR/NAME/CONFIG/VERSION`
   that `tfds.load(..., data_dir=DIR)` reads and `tfds build NAME --data_dir=DIR` writes;
2. `$TFDS_DATA_DIR`;
3. the project cache's `tfds/` folder (`~/.cache/tfmodels/tfds`) and TFDS's default `~/tensorflow_datasets`.
A prepared copy is read with `tfds.builder_from_directory`, so the builder code need not be installed. Without a
CONFIG or VERSION, the only config (or the default one) and the newest version found are read. A set that is not
prepared anywhere is prepared into the first of those folders when its builder code is installed and its source can
be reached (downloaded, or read from `DataConfig.manual_dir`).

Which features: `builder.info.supervised_keys`, unless `DataConfig.feature_key` / `label_key` say otherwise. An
`Image` feature makes an image task, a `Text` feature a text task; the label must be a `ClassLabel`. A set whose text
has no label (e.g. `lm1b`, `wikipedia`) is a corpus for the language models.

Splits: the set's own `train`, `validation` and `test`; a missing validation or test split is carved from the end of
`train` with TFDS split slicing by example counts (`train[:N]`, `train[N:M]`, `train[M:]`), which is deterministic
because prepared records have a fixed order.
"""

from __future__ import annotations

import collections
import difflib
import os
import pathlib
import re

from absl import logging
import tensorflow as tf
import tensorflow_datasets as tfds

from tfmodels.config import DataConfig
from tfmodels.data import loaded_dataset
from tfmodels.data import package_cache
from tfmodels.data.data_error import DataError
from tfmodels.data.loaded_dataset import LoadedDataset
from tfmodels.dataset_names import TFDS_PREFIX

_NAME = re.compile(r"^(?P<name>[a-z0-9_]+)(/(?P<config>[\w.+-]+))?(:(?P<version>\d+\.\d+\.\d+))?$")
# Images read to choose one static shape when the set's images have no fixed size.
_SHAPE_SAMPLE = 500


def open_builder(config: DataConfig) -> tfds.core.DatasetBuilder:
  """The prepared builder of `config.dataset` (`tfds:...`), preparing it first when it can be; raises `DataError`."""
  spec = config.dataset[len(TFDS_PREFIX):].strip()
  match = _NAME.match(spec)
  if not match:
    raise DataError(f"'{config.dataset}' is not a TFDS name. Write tfds:NAME, tfds:NAME/CONFIG, tfds:NAME:VERSION or "
                    "tfds:NAME/CONFIG:VERSION, e.g. tfds:mnist or tfds:imdb_reviews/plain_text:1.0.0.")
  name, config_name, version = match.group("name"), match.group("config"), match.group("version")
  folders = _search_folders(config.data_dir)
  for folder in folders:
    found = _prepared_dir(folder / name, config_name, version)
    if found:
      return tfds.builder_from_directory(str(found))
  if name not in tfds.list_builders(with_community_datasets=False):
    local = sorted({entry.name for folder in folders if folder.is_dir() for entry in folder.iterdir()
                    if entry.is_dir() and not entry.name.startswith(".")})
    known = list(dict.fromkeys(tfds.list_builders(with_community_datasets=False) + local))
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join('tfds:' + c for c in close)}?" if close else ""
    raise DataError(f"Unknown TFDS data set '{name}': TFDS has no builder of that name and no prepared copy is in "
                    f"{', '.join(map(str, folders))}.{hint} See `tfds.list_builders()` for the names, or put a "
                    "prepared copy (DIR/NAME/CONFIG/VERSION) under --data_dir.")
  return _prepare(name, config_name, version, folders[0], config.manual_dir)


def load_tfds_dataset(config: DataConfig) -> LoadedDataset:
  """`config.dataset` (`tfds:...`) as a labelled data set; raises `DataError` for a set without a class label."""
  builder = open_builder(config)
  feature_key, label_key = _keys(builder, config)
  features = builder.info.features
  if not label_key:
    raise DataError(f"'{config.dataset}' has no class label (its features: {_feature_list(builder)}). A set of texts "
                    "without labels is a corpus for the language models (--model=transformer_lm or lstm_lm); for a "
                    "classifier, name its label with --params=data.label_key=NAME.")
  if not isinstance(features[label_key], tfds.features.ClassLabel):
    raise DataError(f"Feature '{label_key}' of '{config.dataset}' is a {type(features[label_key]).__name__}, not a "
                    f"class label (ClassLabel). Choose another with --params=data.label_key=NAME "
                    f"({_feature_list(builder)}).")
  feature = features[feature_key]
  if not isinstance(feature, (tfds.features.Image, tfds.features.Text)):
    raise DataError(f"Feature '{feature_key}' of '{config.dataset}' is a {type(feature).__name__}; the models read "
                    "an Image (--model=cnn) or a Text (--model=lstm or transformer). Choose another with "
                    f"--params=data.feature_key=NAME ({_feature_list(builder)}).")
  split_specs = carved_split_specs(builder, config)
  convert, shape = None, None
  if isinstance(feature, tfds.features.Image):
    shape = _image_shape(builder, feature_key, split_specs["train"], config)
    if tuple(feature.shape) != shape:
      convert = _image_converter(shape)
  return loaded_dataset.from_prepared(config.dataset, builder, split_specs, feature_key, label_key, convert, shape)


def corpus_texts(config: DataConfig, builder: tfds.core.DatasetBuilder):
  """Yields every text of the `tfds:NAME` set `builder` (opened by `open_builder`), split by split (train,
  validation, test), one at a time."""
  features = builder.info.features
  keys = [config.feature_key] if config.feature_key else [key for key, feature in features.items()
                                                          if isinstance(feature, tfds.features.Text)]
  if len(keys) != 1 or keys[0] not in features or not isinstance(features[keys[0]], tfds.features.Text):
    raise DataError(f"'{config.dataset}' has {len(keys)} text features ({_feature_list(builder)}); a language model "
                    "reads one. Name it with --params=data.feature_key=NAME.")
  for split in ("train", "validation", "test"):
    if split in builder.info.splits:
      for text in tfds.as_numpy(builder.as_dataset(split=split).map(lambda record: record[keys[0]])):
        yield text.decode("utf-8", errors="replace")


def is_labelled(config: DataConfig) -> bool:
  """Whether the `tfds:...` set has a class label to classify by."""
  _, label_key = _keys(open_builder(config), config)
  return bool(label_key)


def carved_split_specs(builder: tfds.core.DatasetBuilder, config: DataConfig) -> dict[str, str]:
  """TFDS split strings for train, validation and test (see the module docstring)."""
  splits = builder.info.splits
  if "train" not in splits:
    raise DataError(f"'{config.dataset}' has no train split (it has {', '.join(splits)}). Use a set with a train "
                    "split.")
  total = splits["train"].num_examples
  carve = {name: round(total * fraction) for name, fraction in (("validation", config.validation_fraction),
                                                                ("test", config.test_fraction)) if name not in splits}
  keep = total - sum(carve.values())
  if keep < 1 or any(count < 1 for name, count in carve.items() if getattr(config, f"{name}_fraction") > 0):
    raise DataError(f"The train split of '{config.dataset}' has {total} example(s), too few to carve "
                    f"{' and '.join(carve)} from it. Use a larger set, or other data.validation_fraction / "
                    "data.test_fraction.")
  specs = {"train": f"train[:{keep}]" if carve else "train"}
  start = keep
  for name in ("validation", "test"):
    if name in splits:
      specs[name] = name
    else:
      specs[name] = f"train[{start}:{start + carve[name]}]" if carve[name] else ""
      start += carve[name]
  return specs


def _search_folders(data_dir: str) -> list[pathlib.Path]:
  folders = []
  explicit = data_dir or os.environ.get(package_cache.DATA_DIR_ENV, "")
  if explicit:
    folders.append(pathlib.Path(explicit).expanduser().absolute())
  if os.environ.get("TFDS_DATA_DIR"):
    folders.append(pathlib.Path(os.environ["TFDS_DATA_DIR"]).expanduser().absolute())
  folders += [package_cache.resolve_data_dir(data_dir) / "tfds", pathlib.Path("~/tensorflow_datasets").expanduser()]
  return list(dict.fromkeys(folders))


def _prepared_dir(root: pathlib.Path, config_name: str | None, version: str | None) -> pathlib.Path | None:
  """The folder of the prepared copy under `root` (`NAME/`), or None."""
  if not root.is_dir():
    return None
  candidates = [path.parent for path in root.glob("*/dataset_info.json")] + \
               [path.parent for path in root.glob("*/*/dataset_info.json")]
  found = []
  for path in candidates:
    relative = path.relative_to(root).parts
    path_config, path_version = (relative[0], relative[1]) if len(relative) == 2 else (None, relative[0])
    if not re.fullmatch(r"\d+\.\d+\.\d+", path_version):
      continue
    if (config_name and path_config != config_name) or (version and path_version != version):
      continue
    found.append((path_config or "", tfds.core.Version(path_version), path))
  if not found:
    return None
  configs = sorted({config for config, _, _ in found})
  if len(configs) > 1:
    default = _default_config(root.name)
    if default not in configs:
      raise DataError(f"{root} holds the configs {', '.join(configs)}. Choose one: tfds:{root.name}/CONFIG, e.g. "
                      f"tfds:{root.name}/{configs[0]}.")
    found = [entry for entry in found if entry[0] == default]
  return max(found, key=lambda entry: entry[1])[2]


def _default_config(name: str) -> str:
  try:
    configs = tfds.builder_cls(name).BUILDER_CONFIGS
  except Exception:  # pylint: disable=broad-except  # No builder code: no default to know.
    return ""
  return configs[0].name if configs else ""


def _prepare(name: str, config_name: str | None, version: str | None, folder: pathlib.Path,
             manual_dir: str) -> tfds.core.DatasetBuilder:
  spec = name + (f"/{config_name}" if config_name else "") + (f":{version}" if version else "")
  build = (f"`tfds build {spec} --data_dir={folder}`" + (f" --manual_dir={manual_dir}" if manual_dir else "")
           + " on a machine that can reach its source, then copy the folder here")
  try:
    builder = tfds.builder(spec, data_dir=str(folder))
  except Exception as error:  # pylint: disable=broad-except  # TFDS raises many types for unknown configs.
    raise DataError(f"TFDS cannot open '{spec}': {_first_line(error)}. Check the config and version names.") from error
  logging.warning("Preparing TFDS data set %s into %s (once).", spec, folder)
  try:
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=manual_dir or None))
  except Exception as error:  # pylint: disable=broad-except  # network, checksum and manual-dir errors alike
    manual = getattr(builder, "MANUAL_DOWNLOAD_INSTRUCTIONS", None)
    how = (f"Put its source files in a folder and pass it with --params=data.manual_dir=DIR "
           f"({' '.join(str(manual).split())[:400]}), or run {build}." if manual else f"Run {build}.")
    raise DataError(f"TFDS data set '{spec}' is not prepared in {folder} and preparing it failed: "
                    f"{_first_line(error)}. {how}") from error
  return builder


def _keys(builder: tfds.core.DatasetBuilder, config: DataConfig) -> tuple[str, str]:
  features = builder.info.features
  supervised = builder.info.supervised_keys
  if supervised and not (isinstance(supervised, tuple) and len(supervised) == 2
                         and all(isinstance(key, str) for key in supervised)):
    supervised = None  # several or nested keys: the user chooses
  feature_key = config.feature_key or (supervised[0] if supervised else "")
  label_key = config.label_key or (supervised[1] if supervised else "")
  if not feature_key:
    usable = [key for key, feature in features.items()
              if isinstance(feature, (tfds.features.Image, tfds.features.Text))]
    if len(usable) != 1:
      raise DataError(f"'{config.dataset}' has no supervised keys to read it by. Name the input and the label with "
                      f"--params=data.feature_key=NAME,data.label_key=NAME ({_feature_list(builder)}).")
    feature_key = usable[0]
  for key in (feature_key, label_key):
    if key and key not in features:
      raise DataError(f"'{config.dataset}' has no feature '{key}'. Its features: {_feature_list(builder)}.")
  return feature_key, label_key


def _feature_list(builder: tfds.core.DatasetBuilder) -> str:
  return ", ".join(f"{key} ({type(feature).__name__})" for key, feature in builder.info.features.items())


def _image_shape(builder, feature_key: str, train_spec: str, config: DataConfig) -> tuple[int, int, int]:
  """`(H, W, C)`: the feature's own where fixed, else `data.image_size` / `data.image_channels`, else the most common
  size among the first training images."""
  height, width, channels = (tuple(builder.info.features[feature_key].shape) + (None, None, None))[:3]
  if config.image_size:
    height, width = (int(d) for d in config.image_size)
  elif height is None or width is None:
    sample = builder.as_dataset(split=train_spec).take(_SHAPE_SAMPLE).map(lambda r: tf.shape(r[feature_key])[:2])
    counts = collections.Counter(tuple(int(d) for d in shape) for shape in tfds.as_numpy(sample))
    height, width = max(counts, key=lambda hw: (counts[hw], hw[0] * hw[1], hw[0]))
    logging.info("%s: images of several sizes; resizing all to the most common, %dx%d.", config.dataset, height, width)
  channels = config.image_channels or channels or 3
  return int(height), int(width), int(channels)


def _image_converter(shape: tuple[int, int, int]):
  height, width, channels = shape

  def convert(image: tf.Tensor) -> tf.Tensor:
    grey = tf.equal(tf.shape(image)[-1], 1)  # the channel count may be known only per image
    if channels == 1 and image.shape[-1] != 1:
      image = tf.cond(grey, lambda: image[..., :1], lambda: tf.image.rgb_to_grayscale(image[..., :3]))
    elif channels == 3 and image.shape[-1] != 3:
      image = tf.cond(grey, lambda: tf.image.grayscale_to_rgb(image[..., :1]), lambda: image[..., :3])
    resized = tf.image.resize(image, (height, width), method="bilinear")
    return tf.ensure_shape(tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8), shape)

  return convert


def _first_line(error) -> str:
  text = str(error)
  return next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)[:300]
