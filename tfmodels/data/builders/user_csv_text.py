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
    rows: streams the `(text, label name)` rows of a source split's file, the same rows in the same order each time.
  """

  root: pathlib.Path
  label_names: tuple[str, ...]
  labels: dict[str, np.ndarray]
  rows: Callable[[str], Iterator[tuple[str, str]]]


class UserCsvText(SplitCarvingBuilder):
  """The rows of a user's CSV files; each split's file is streamed once per split written."""

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
        supervised_keys=("text", "label"))

  def _source_splits(self, dl_manager: tfds.download.DownloadManager) -> dict[str, SourceSplit]:
    del dl_manager  # The files are where the user keeps them.
    return {split: SourceSplit(labels, self._examples(split)) for split, labels in self._source.labels.items()}

  def _examples(self, split: str) -> Callable[[np.ndarray], Iterator[dict]]:
    index = {name: position for position, name in enumerate(self._source.label_names)}

    def examples(indices: np.ndarray) -> Iterator[dict]:
      wanted = np.zeros((len(self._source.labels[split]),), bool)
      wanted[indices] = True
      for row, (text, label) in enumerate(self._source.rows(split)):
        if wanted[row]:
          yield {"text": text, "label": index[label]}
    return examples
