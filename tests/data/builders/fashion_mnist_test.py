"""Tests of the Fashion-MNIST IDX reader and TFDS builder, on small IDX files written here."""

import gzip
import pathlib

import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfmodels.data import DataError
from tfmodels.data.builders import fashion_mnist
from tfmodels.data.builders.split_carving_builder import carving_config


def _write_idx(path: pathlib.Path, array: np.ndarray, magic_type: int = 0x08) -> pathlib.Path:
  header = bytes([0, 0, magic_type, array.ndim]) + np.array(array.shape, ">i4").tobytes()
  with gzip.open(path, "wb") as stream:
    stream.write(header + array.astype(np.uint8).tobytes())
  return path


def _write_set(folder: pathlib.Path, train: int = 12, test: int = 5) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  rng = np.random.default_rng(0)
  arrays = {}
  for prefix, count in (("train", train), ("t10k", test)):
    images = rng.integers(0, 256, (count, 28, 28), np.uint8)
    labels = np.arange(count, dtype=np.uint8) % 10
    _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
    _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    arrays[prefix] = (images, labels)
  return arrays


def test_read_idx_uses_the_big_endian_header(tmp_path):
  array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
  np.testing.assert_array_equal(fashion_mnist.read_idx(str(_write_idx(tmp_path / "a.gz", array))), array)


def test_read_idx_rejects_a_bad_magic_number(tmp_path):
  path = _write_idx(tmp_path / "float.gz", np.zeros((2, 2)), magic_type=0x0D)
  with pytest.raises(DataError, match="is not an IDX file of unsigned bytes"):
    fashion_mnist.read_idx(str(path))


def test_read_idx_rejects_a_truncated_file(tmp_path):
  path = tmp_path / "short.gz"
  with gzip.open(path, "wb") as stream:
    stream.write(bytes([0, 0, 8, 1]) + np.array([10], ">i4").tobytes() + b"\1\2\3")
  with pytest.raises(DataError, match="holds 11 bytes but its header .* needs 18"):
    fashion_mnist.read_idx(str(path))


def test_builder_reads_train_and_test(tmp_path):
  arrays = _write_set(tmp_path)
  # No validation carved from 12 training images: the official splits are written as they are.
  builder = fashion_mnist.FashionMnist(data_dir=str(tmp_path / "tfds"), config=carving_config(0.0, 0.2, 0))
  assert builder.name == "fashion_mnist_local"
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path)))
  assert {name: split.num_examples for name, split in builder.info.splits.items()} == {"train": 12, "test": 5}
  assert builder.info.features["label"].names == list(fashion_mnist.LABEL_NAMES)
  images, labels = tfds.as_numpy(builder.as_dataset(split="test", batch_size=-1, as_supervised=True))
  expected = sorted((image.tobytes(), int(label)) for image, label in zip(*arrays["t10k"]))
  assert sorted((image[..., 0].tobytes(), int(label)) for image, label in zip(images, labels)) == expected


def test_builder_names_missing_files(tmp_path):
  _write_set(tmp_path)
  (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
  builder = fashion_mnist.FashionMnist(data_dir=str(tmp_path / "tfds"))
  with pytest.raises(DataError, match="lacks t10k-labels-idx1-ubyte.gz"):
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path)))
