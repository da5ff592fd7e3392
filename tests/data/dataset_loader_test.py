"""End-to-end tests of `load_dataset` on the real built-in sets (fetched once into the shared cache) and dispatch."""

import gzip
import json
import pathlib
import shutil

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tfmodels.config import DataConfig
from tfmodels.data import DataError
from tfmodels.data import load_dataset
from tfmodels.data.builders import fashion_mnist
from tfmodels.data.builders.split_carving_builder import carving_config


def _assert_well_formed(dataset, kind, feature_shape):
  assert dataset.kind == kind
  assert dataset.feature_shape == feature_shape
  feature_dtype = tf.uint8 if kind == "image" else tf.string
  for split in ("train", "validation", "test"):
    feature_spec, label_spec = dataset.splits[split].element_spec
    assert feature_spec == tf.TensorSpec(feature_shape, feature_dtype)
    assert label_spec == tf.TensorSpec((), tf.int64)


def test_digits_end_to_end():
  dataset = load_dataset(DataConfig(dataset="digits"))
  _assert_well_formed(dataset, "image", (8, 8, 1))
  assert dataset.name == "digits"
  assert dataset.label_names == tuple(str(d) for d in range(10))
  assert dataset.num_examples == {"train": 1259, "validation": 179, "test": 359}
  images, labels = dataset.split_arrays("test")
  assert images.dtype == np.uint8 and images.max() == 255
  assert np.bincount(labels, minlength=10).min() >= 35  # Stratified: about 36 of each digit.
  # The same seed gives the same split in a new load; another seed moves examples.
  again = load_dataset(DataConfig(dataset="digits"))
  np.testing.assert_array_equal(again.split_arrays("test")[0], images)
  other = load_dataset(DataConfig(dataset="digits", split_seed=1))
  assert not np.array_equal(other.split_arrays("test")[0], images)


def test_rotten_tomatoes_end_to_end():
  dataset = load_dataset(DataConfig(dataset="rotten_tomatoes"))
  _assert_well_formed(dataset, "text", ())
  assert dataset.label_names == ("rotten", "fresh")
  assert sum(dataset.num_examples.values()) == 12808  # 7,403 fresh + 5,405 rotten; plot rows dropped.
  assert dataset.num_examples == {"train": 8966, "validation": 1280, "test": 2562}
  texts, labels = dataset.split_arrays("validation")
  assert all(isinstance(text, bytes) and text.strip() for text in texts)
  assert abs(labels.mean() - 7403 / 12808) < 0.002


def test_fashion_mnist_end_to_end():
  dataset = load_dataset(DataConfig(dataset="fashion_mnist"))
  _assert_well_formed(dataset, "image", (28, 28, 1))
  assert dataset.label_names == fashion_mnist.LABEL_NAMES
  assert dataset.num_examples == {"train": 54000, "validation": 6000, "test": 10000}
  _, labels = dataset.split_arrays("test")
  assert np.bincount(labels).tolist() == [1000] * 10  # The official test set.


def test_prepared_standard_fashion_mnist_is_preferred(tmp_path):
  # Make a tiny prepared copy of TFDS's own `fashion_mnist` (same features) from the local builder's records.
  source = tmp_path / "source"
  source.mkdir()
  rng = np.random.default_rng(0)
  for prefix, count in (("train", 20), ("t10k", 10)):
    for kind, array in (("images-idx3", rng.integers(0, 256, (count, 28, 28))),
                        ("labels-idx1", np.arange(count) % 10)):
      header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">i4").tobytes()
      with gzip.open(source / f"{prefix}-{kind}-ubyte.gz", "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())
  local = fashion_mnist.FashionMnist(data_dir=str(tmp_path / "local"), config=carving_config(0.0, 0.2, 0))
  local.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(source)))
  version = tfds.builder_cls("fashion_mnist").VERSION
  standard = tmp_path / "data" / "tfds" / "fashion_mnist" / str(version)
  shutil.copytree(pathlib.Path(local.data_dir), standard)
  for path in standard.glob("fashion_mnist_local-*"):
    path.rename(standard / path.name.replace("fashion_mnist_local", "fashion_mnist"))
  info = json.loads((standard / "dataset_info.json").read_text())
  info.update(name="fashion_mnist", version=str(version))
  (standard / "dataset_info.json").write_text(json.dumps(info))

  dataset = load_dataset(DataConfig(dataset="fashion_mnist", data_dir=str(tmp_path / "data"),
                                    validation_fraction=0.5))
  # TFDS's own copy has no validation split: it is sliced off the end of train.
  assert dataset.num_examples == {"train": 10, "validation": 10, "test": 10}
  assert dataset.split_specs == {"train": "train[:10]", "validation": "train[10:20]", "test": "test"}
  assert not (tmp_path / "data" / "tfds" / "fashion_mnist_local").exists()
  assert not (tmp_path / "data" / "packages").exists()


@pytest.mark.parametrize("name, fragment", [
    ("mnist", "Unknown dataset 'mnist'. Use one of digits, fashion_mnist, rotten_tomatoes, your own data as "
              "images:DIR"),
    ("images:", "names no path"),
    ("csv:  ", "names no path"),
])
def test_bad_names(name, fragment):
  with pytest.raises(DataError) as error:
    load_dataset(DataConfig(dataset=name))
  assert fragment in str(error.value)


def test_user_data_is_dispatched(tmp_path):
  (tmp_path / "reviews.csv").write_text("text,label\n" + "".join(f"review {i},{'ab'[i % 2]}\n" for i in range(20)))
  dataset = load_dataset(DataConfig(dataset=f"csv:{tmp_path / 'reviews.csv'}"))
  assert dataset.kind == "text" and dataset.name == f"csv:{tmp_path / 'reviews.csv'}"
  with pytest.raises(DataError, match="does not exist"):
    load_dataset(DataConfig(dataset=f"images:{tmp_path / 'nothing'}"))
