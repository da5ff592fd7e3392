"""User text classification data in CSV files (`csv:PATH`).

PATH is either one CSV file, from which validation and test are carved (see `splits.py`), or a folder holding
`train.csv`, `test.csv` and optionally `validation.csv`, whose splits are kept (a missing `validation.csv` or
`test.csv` is carved from `train.csv`). Each file is UTF-8 (a byte-order mark is allowed) with a header row naming at
least the columns `text` and `label` (any letter case; other columns are ignored).

Rows whose text or label is blank are skipped, and a warning says how many. Labels are strings; label names are the
sorted labels of the training file, in numeric order when every label is an integer (so `2` comes before `10`).
"""

from __future__ import annotations

import csv
import io
import pathlib
import re

from absl import logging
import numpy as np

from tfmodels.config import DataConfig
from tfmodels.data import splits
from tfmodels.data.data_error import DataError
from tfmodels.data.loaded_dataset import LoadedDataset

_SPLIT_FILES = {"train": "train.csv", "validation": "validation.csv", "test": "test.csv"}
_COLUMNS = ("text", "label")


def load_csv_text(path: str, config: DataConfig) -> LoadedDataset:
  """Reads `path` (see the module docstring for the accepted files)."""
  location = pathlib.Path(path).expanduser()
  if not location.exists():
    raise DataError(f"CSV path {location} does not exist. Give csv:PATH a CSV file with columns text,label or a "
                    "folder with train.csv and test.csv.")
  if location.is_dir():
    files = {split: location / name for split, name in _SPLIT_FILES.items() if (location / name).is_file()}
    if "train" not in files:
      raise DataError(f"Folder {location} has no train.csv. Add train.csv and test.csv (columns text,label), or "
                      "give csv:PATH a single CSV file.")
  else:
    files = {"train": location}
  rows = {split: _read_rows(file) for split, file in files.items()}

  train_labels = {label for _, label in rows["train"]}
  if len(train_labels) < 2:
    raise DataError(f"{files['train']} has {len(train_labels)} distinct label(s) ({', '.join(sorted(train_labels))}); "
                    "a classifier needs at least 2. Add rows of the other classes.")
  numeric = all(re.fullmatch(r"-?\d+", label) for label in train_labels)
  label_names = tuple(sorted(train_labels, key=int if numeric else None))
  index = {name: position for position, name in enumerate(label_names)}
  arrays = {}
  for split, split_rows in rows.items():
    unknown = sorted({label for _, label in split_rows} - train_labels)
    if unknown:
      raise DataError(f"{files[split]} has label(s) that {files['train']} lacks: {', '.join(unknown[:10])}. Add "
                      f"training rows for them or remove them from {files[split].name}.")
    texts = np.array([text for text, _ in split_rows], dtype=object)
    arrays[split] = (texts, np.array([index[label] for _, label in split_rows], np.int64))
  arrays = splits.complete_splits(arrays, config.validation_fraction, config.test_fraction, config.split_seed,
                                  label_names)
  return LoadedDataset.from_arrays(config.dataset, "text", label_names, arrays)


def _read_rows(path: pathlib.Path) -> list[tuple[str, str]]:
  """The `(text, label)` rows of one CSV file, blank ones skipped."""
  data = path.read_bytes()
  try:
    content = data.decode("utf-8-sig")
  except UnicodeDecodeError as error:
    line = data.count(b"\n", 0, error.start) + 1
    raise DataError(f"{path} is not UTF-8: byte 0x{data[error.start]:02x} on line {line} cannot be decoded. "
                    f"Re-encode the file, e.g. `iconv -f latin1 -t utf-8 {path} > {path.stem}.utf8.csv`.") from error
  # strict: a stray quote is reported rather than silently merged into the text.
  reader = csv.reader(io.StringIO(content, newline=""), strict=True)
  try:
    header = next(reader, None)
    if header is None:
      raise DataError(f"{path} is empty. Give it a header row `text,label` and one row per example.")
    columns = [name.strip().lower() for name in header]
    missing = [name for name in _COLUMNS if name not in columns]
    if missing:
      raise DataError(f"{path} has no column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'}). Name "
                      "the columns of the text and the label `text` and `label` in the header row.")
    text_at, label_at = columns.index("text"), columns.index("label")
    rows, blank = [], 0
    for record in reader:
      text = record[text_at] if len(record) > text_at else ""
      label = record[label_at].strip() if len(record) > label_at else ""
      if text.strip() and label:
        rows.append((text, label))
      elif record:
        blank += 1
  except csv.Error as error:
    raise DataError(f"{path} is not valid CSV near line {reader.line_num}: {error}. Fix the quoting on that line "
                    "(a field with commas, quotes or line breaks must be wrapped in double quotes).") from error
  if blank:
    logging.warning("Skipped %d row(s) of %s with a blank text or label.", blank, path)
  if not rows:
    raise DataError(f"{path} has no rows with both a text and a label. Add examples below the header row.")
  return rows
