"""TFDS builder over a user's CSV files of labelled texts (`csv:PATH`), as `tfmodels.data.csv_text` reads them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
import dataclasses
import pathlib

import numpy as np
import tensorflow_datasets as tfds

from tfmodels.data.builders.split_carving_builder import SourceSplit, SplitCarvingBuilder


@dataclasses.dataclass(frozen=True)
class CsvSource:
  """What the builder writes.

  Attributes:
    root: the file or folder given, for messages.
    label_names: class names.
    labels: the class id of each row kept, by source split.
    offsets: where each row kept starts in its file, by source split.
    read_rows: given a source split and row positions, yields those `(text, label name)` rows in that order.
  """

  root: pathlib.Path
  label_names: tuple[str, ...]
  labels: dict[str, np.ndarray]
  offsets: dict[str, np.ndarray]
  read_rows: Callable[[str, np.ndarray], Iterator[tuple[str, str]]]


class UserCsvText(SplitCarvingBuilder):
  """The rows of a user's CSV files, read back by position in the order each split is written."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release."}

  def __init__(self, *, source: CsvSource, **kwargs):
    self._source = source
    super().__init__(**kwargs)

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=f"Labelled texts of {self._source.root}.",
        features=tfds.features.FeaturesDict({
            "text": tfds.features.Text(),
            "label": tfds.features.ClassLabel(names=list(self._source.label_names)),
        }),
        disable_shuffling=True,  # examples are written in the order the base class gives
        supervised_keys=("text", "label"))

  def _source_splits(self, dl_manager: tfds.download.DownloadManager) -> dict[str, SourceSplit]:
    del dl_manager  # The files are where the user keeps them.
    return {split: SourceSplit(labels, self._examples(split)) for split, labels in self._source.labels.items()}

  def _examples(self, split: str) -> Callable[[np.ndarray], Iterator[dict]]:
    index = {name: position for position, name in enumerate(self._source.label_names)}

    def examples(indices: np.ndarray) -> Iterator[dict]:
      for text, label in self._source.read_rows(split, self._source.offsets[split][indices]):
        yield {"text": text, "label": index[label]}
    return examples
