"""TFDS builder for Fashion-MNIST read from local IDX files (as shipped by Debian's `dataset-fashion-mnist`)."""

from __future__ import annotations

import gzip
import os

import numpy as np
import tensorflow_datasets as tfds

from tfmodels.data.builders.split_carving_builder import SourceSplit, SplitCarvingBuilder, record_order
from tfmodels.data.data_error import DataError

LABEL_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot")

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte), then the number of dimensions.
_IDX_UBYTE = 0x08

_DESCRIPTION = """Zalando's Fashion-MNIST: 28x28 grey images of clothing in 10 classes, 60,000 for training and
10,000 for testing, read from the original IDX files."""

_CITATION = """@article{xiao2017fashionmnist,
  author = {Han Xiao and Kashif Rasul and Roland Vollgraf},
  title = {Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms},
  journal = {CoRR},
  volume = {abs/1708.07747},
  year = {2017},
}"""


def read_idx(path: str) -> np.ndarray:
  """Reads a gzipped IDX file of unsigned bytes into an array shaped by its header."""
  with gzip.open(path, "rb") as stream:
    data = stream.read()
  if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != _IDX_UBYTE:
    raise DataError(f"{path} is not an IDX file of unsigned bytes (magic {data[:4].hex() or 'missing'}, expected "
                    f"0000{_IDX_UBYTE:02x}NN). Replace it with the original Fashion-MNIST file.")
  num_dims = data[3]
  header_size = 4 + 4 * num_dims
  dims = tuple(int(d) for d in np.frombuffer(data, dtype=">i4", count=num_dims, offset=4))
  expected = header_size + int(np.prod(dims))
  if len(data) != expected:
    raise DataError(f"{path} holds {len(data)} bytes but its header {dims} needs {expected}; the file is truncated "
                    "or corrupt. Replace it with the original Fashion-MNIST file.")
  return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims)


class FashionMnist(SplitCarvingBuilder):
  """Fashion-MNIST from local IDX `.gz` files given as the manual directory: the official `train` 60,000 (validation
  carved from it) and `test` 10,000."""

  # TFDS has its own `fashion_mnist`, which downloads the files and checks their checksums; this one reads files
  # already on disk, so it needs a name of its own.
  name = "fashion_mnist_local"
  VERSION = tfds.core.Version("2.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release.", "2.0.0": "Train, validation and test written as records."}
  MANUAL_DOWNLOAD_INSTRUCTIONS = (
      "Put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
      "t10k-labels-idx1-ubyte.gz in the manual directory (Debian: `apt-get download dataset-fashion-mnist`, then "
      "`dpkg -x` the package and take usr/share/datasets/fashion-mnist/).")

  def _info(self) -> tfds.core.DatasetInfo:
    # `builder=self` because this module lives outside a TFDS package, where metadata files would be looked up.
    return tfds.core.DatasetInfo(
        builder=self,
        description=_DESCRIPTION,
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(28, 28, 1)),
            "label": tfds.features.ClassLabel(names=list(LABEL_NAMES)),
        }),
        disable_shuffling=True,  # examples are written in the order the base class gives
        supervised_keys=("image", "label"),
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        citation=_CITATION,
        license="MIT")

  def _source_splits(self, dl_manager: tfds.download.DownloadManager) -> dict[str, SourceSplit]:
    source = str(dl_manager.manual_dir)
    missing = [name for files in _FILES.values() for name in files if not os.path.exists(os.path.join(source, name))]
    if missing:
      raise DataError(f"{source} lacks {', '.join(missing)}. {self.MANUAL_DOWNLOAD_INSTRUCTIONS}")
    return {split: self._source_split(source, split, *files) for split, files in _FILES.items()}

  def _source_split(self, source: str, split: str, images_file: str, labels_file: str) -> SourceSplit:
    images = read_idx(os.path.join(source, images_file))
    labels = read_idx(os.path.join(source, labels_file))
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
      raise DataError(f"{images_file} {images.shape} and {labels_file} {labels.shape} do not hold matching 28x28 "
                      "images and labels. Replace them with the original Fashion-MNIST files.")
    return SourceSplit(labels.astype(np.int64), lambda indices: (
        {"image": images[i][..., np.newaxis], "label": int(labels[i])} for i in indices),
                       read_order=record_order(range(len(labels)), split))
