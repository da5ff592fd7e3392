"""TFDS builder for scikit-learn's 8x8 handwritten digits."""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

from tfmodels.data.builders.split_carving_builder import SourceSplit, SplitCarvingBuilder, record_order

_DESCRIPTION = """1,797 8x8 grey images of handwritten digits (UCI ML hand-written digits, as shipped with
scikit-learn). Pixel values 0..16 are scaled to 0..255 with round(v * 255 / 16). The source is one pool; validation and
test are carved from it class by class."""

_CITATION = """@misc{uci_optdigits,
  author = {Alpaydin, E. and Kaynak, C.},
  title = {Optical Recognition of Handwritten Digits},
  year = {1998},
  howpublished = {UCI Machine Learning Repository},
}"""


class Digits(SplitCarvingBuilder):
  """scikit-learn's `load_digits()` as a TFDS data set of `(8, 8, 1)` uint8 images and labels 0..9."""

  VERSION = tfds.core.Version("2.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release.", "2.0.0": "Train, validation and test written as records."}

  def _info(self) -> tfds.core.DatasetInfo:
    # `builder=self` because this module lives outside a TFDS package, where metadata files would be looked up.
    return tfds.core.DatasetInfo(
        builder=self,
        description=_DESCRIPTION,
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(8, 8, 1)),
            "label": tfds.features.ClassLabel(names=[str(d) for d in range(10)]),
        }),
        disable_shuffling=True,  # examples are written in the order the base class gives
        supervised_keys=("image", "label"),
        homepage="https://scikit-learn.org/stable/modules/generated/sklearn.datasets.load_digits.html",
        citation=_CITATION,
        license="BSD-3-Clause (scikit-learn); CC BY 4.0 (UCI data)")

  def _source_splits(self, dl_manager: tfds.download.DownloadManager) -> dict[str, SourceSplit]:
    del dl_manager  # The data ships inside scikit-learn.
    from sklearn import datasets  # pylint: disable=g-import-not-at-top  # Only needed while preparing.
    digits = datasets.load_digits()
    images = np.round(digits.images * 255 / 16).astype(np.uint8)[..., np.newaxis]
    labels = digits.target.astype(np.int64)
    return {"train": SourceSplit(labels, lambda indices: ({"image": images[i], "label": int(labels[i])}
                                                          for i in indices),
                                 read_order=record_order(range(len(labels))))}
