"""User text classification data in CSV files (`csv:PATH`).

PATH is either one CSV file, from which validation and test are carved (see `splits.py`), or a folder holding
`train.csv`, `test.csv` and optionally `validation.csv`, whose splits are kept (a missing `validation.csv` or
`test.csv` is carved from `train.csv`). Each file is UTF-8 (a byte-order mark is allowed) with a header row naming at
least the columns `text` and `label` (any letter case; other columns are ignored).

Rows whose text or label is blank are skipped, and a warning says how many. A first pass over each file checks it
and keeps every row's label and position; the rows are then read back by position in the order they are written,
so no file is held in memory. Labels are strings; label names are the
sorted labels of the training file, in numeric order when every label is an integer (so `2` comes before `10`).
"""

from __future__ import annotations

from collections.abc import Iterator
import csv
import pathlib
import re
import sys

from absl import logging
import numpy as np
import tensorflow_datasets as tfds

from tfmodels.config import DataConfig
from tfmodels.data import fingerprint
from tfmodels.data import loaded_dataset
from tfmodels.data import preparation
from tfmodels.data.builders.split_carving_builder import carving_config
from tfmodels.data.builders.user_csv_text import CsvSource, UserCsvText
from tfmodels.data.data_error import DataError
from tfmodels.data.loaded_dataset import LoadedDataset

_SPLIT_FILES = {"train": "train.csv", "validation": "validation.csv", "test": "test.csv"}
_COLUMNS = ("text", "label")
_UTF16_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
               (b"\xfe\xff", "utf-16"))
# Changes whenever the way rows are read changes, so older prepared copies are not read as current.
_FORMAT = "csv-text-2"
# A text may be long (a whole article); Python's csv module refuses fields over 128 KiB by default.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def load_csv_text(path: str, config: DataConfig) -> LoadedDataset:
  """Reads `path` (see the module docstring for the accepted files).

  The files are checked and their labels read in one streaming pass; the rows are then written once as TFDS records
  under `<data_dir>/tfds/user/`, keyed by a fingerprint of the files (see `fingerprint.py`), so later loads of
  unchanged files read the records directly. No file is held in memory whole.
  """
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
  prepared = fingerprint.prepared_location(config.data_dir, "csv", location, files.values(), (_FORMAT,))
  carving = carving_config(config.validation_fraction, config.test_fraction, config.split_seed, prepared.fingerprint)
  target = prepared.data_dir / UserCsvText.name / carving.name / str(UserCsvText.VERSION)

  def make_builder() -> tfds.core.DatasetBuilder:
    if (target / "dataset_info.json").exists():
      return tfds.builder_from_directory(str(target))
    return UserCsvText(data_dir=str(prepared.data_dir), config=carving, source=_source(location, files))

  builder = preparation.prepare(make_builder, prepared.data_dir, carving.name)
  fingerprint.remove_stale(prepared.data_dir / UserCsvText.name, keep=carving.name)
  return loaded_dataset.from_prepared(config.dataset, builder)


def _source(location: pathlib.Path, files: dict[str, pathlib.Path]) -> CsvSource:
  """Checks every file and reads its labels (one streaming pass each)."""
  rows = {split: [(offset, label) for offset, _, label in _read_rows(file)] for split, file in files.items()}
  labels = {split: [label for _, label in split_rows] for split, split_rows in rows.items()}
  train_labels = set(labels["train"])
  if len(train_labels) < 2:
    raise DataError(f"{files['train']} has {len(train_labels)} distinct label(s) ({', '.join(sorted(train_labels))}); "
                    "a classifier needs at least 2. Add rows of the other classes.")
  numeric = all(re.fullmatch(r"-?\d+", label) for label in train_labels)
  label_names = tuple(sorted(train_labels, key=int if numeric else None))
  index = {name: position for position, name in enumerate(label_names)}
  for split, split_labels in labels.items():
    unknown = sorted(set(split_labels) - train_labels)
    if unknown:
      raise DataError(f"{files[split]} has label(s) that {files['train']} lacks: {', '.join(unknown[:10])}. Add "
                      f"training rows for them or remove them from {files[split].name}.")
  return CsvSource(root=location, label_names=label_names,
                   labels={split: np.array([index[label] for label in split_labels], np.int64)
                           for split, split_labels in labels.items()},
                   offsets={split: np.array([offset for offset, _ in split_rows], np.int64)
                            for split, split_rows in rows.items()},
                   read_rows=lambda split, offsets: _rows_at(files[split], offsets))


def _rows_at(path: pathlib.Path, offsets) -> Iterator[tuple[str, str]]:
  """The `(text, label)` rows that start at `offsets` (positions `_read_rows` gave), in that order."""
  with open(path, encoding="utf-8-sig", newline="") as stream:
    header = next(csv.reader(_lines(stream), strict=True))
    columns = [name.strip().lower() for name in header]
    text_at, label_at = columns.index("text"), columns.index("label")
    for offset in offsets:
      stream.seek(int(offset))
      record = next(csv.reader(_lines(stream), strict=True))
      yield record[text_at], record[label_at].strip()


def _lines(stream) -> Iterator[str]:
  # readline() rather than iteration: a text file's tell() is disabled while it is iterated.
  while line := stream.readline():
    yield line


def _read_rows(path: pathlib.Path, warn: bool = True) -> Iterator[tuple[int, str, str]]:
  """Streams the `(position in the file, text, label)` rows of one CSV file, blank ones skipped."""
  with open(path, "rb") as raw:
    start = raw.read(4)
  for bom, encoding in _UTF16_BOMS:
    if start.startswith(bom):
      raise DataError(f"{path} is {encoding} (it starts with a {encoding} byte-order mark), not UTF-8. Re-encode it, "
                      f"e.g. `iconv -f {encoding} -t utf-8 {path} > {path.stem}.utf8.csv`.")
  blank = rows = 0
  with open(path, encoding="utf-8-sig", newline="") as stream:
    # strict: a stray quote is reported rather than silently merged into the text.
    reader = csv.reader(_lines(stream), strict=True)
    record_start = 1
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
      while True:
        record_start = reader.line_num + 1
        offset = stream.tell()  # the reader takes a line only when it needs one: this is where the record starts
        record = next(reader, None)
        if record is None:
          break
        text = record[text_at] if len(record) > text_at else ""
        label = record[label_at].strip() if len(record) > label_at else ""
        if text.strip() and label:
          rows += 1
          yield offset, text, label
        elif record:
          blank += 1
    except UnicodeDecodeError as error:
      raise _not_utf8(path) from error
    except csv.Error as error:
      line = reader.line_num
      if "EOF" in str(error) or "end of data" in str(error):
        where = f": a quoted field that starts on line {record_start} is never closed"
      elif line > record_start:
        where = f" in the record that starts on line {record_start} (seen on line {line}): {error}"
      else:
        where = f" near line {line}: {error}"
      raise DataError(f"{path} is not valid CSV{where}. Fix the quoting on that line (a field with commas, quotes "
                      "or line breaks must be wrapped in double quotes, and a quote inside it doubled).") from error
  if blank and warn:
    logging.warning("Skipped %d row(s) of %s with a blank text or label.", blank, path)
  if not rows:
    raise DataError(f"{path} has no rows with both a text and a label. Add examples below the header row.")


def _not_utf8(path: pathlib.Path) -> DataError:
  """Names the first byte of `path` that is not UTF-8, with its line."""
  line = 1
  with open(path, "rb") as stream:
    for line, data in enumerate(stream, start=1):
      try:
        data.decode("utf-8")
      except UnicodeDecodeError as error:
        byte = data[error.start]
        return DataError(f"{path} is not UTF-8: byte 0x{byte:02x} on line {line} cannot be decoded. Re-encode the "
                         f"file from the encoding it was saved in, e.g. for Latin-1 (Western European) "
                         f"`iconv -f latin1 -t utf-8 {path} > {path.stem}.utf8.csv`.")
  return DataError(f"{path} is not UTF-8 (line {line}). Re-encode the file as UTF-8.")
