"""Tests of export/verification_set.py: the test split of a real prepared data set, read in chunks."""

import numpy as np
import pytest

from export.verification_set import VerificationSet
from tfmodels import data as data_lib
from tfmodels.config import DataConfig


@pytest.fixture(scope="module")
def digits() -> data_lib.LoadedDataset:
  return data_lib.load_dataset(DataConfig(dataset="digits"))


def _halved(pixels: np.ndarray) -> np.ndarray:
  return pixels // 2


def _from_arrays(features, labels, available, dataset_name, chunk_size=4, preprocess=lambda values: values):
  """A set over examples in memory, sliced into chunks."""

  def batches():
    return ((features[start:start + chunk_size], labels[start:start + chunk_size])
            for start in range(0, len(labels), chunk_size))

  return VerificationSet(batches, preprocess, len(labels), available, dataset_name, chunk_size)


def test_chunks_are_small_and_together_the_whole_split_in_order(digits):
  pixels, labels = digits.split_arrays("test")
  test_set = VerificationSet.from_split(digits, "test", _halved, chunk_size=50)
  assert (test_set.num_examples, test_set.available, test_set.dataset_name) == (len(labels), len(labels), "digits")
  assert len(labels) > 100  # several chunks
  for _ in range(2):  # every pass reads the same examples again
    chunks = list(test_set)
    assert [len(features) for features, _ in chunks] == [min(50, len(labels) - start)
                                                        for start in range(0, len(labels), 50)]
    np.testing.assert_array_equal(np.concatenate([features for features, _ in chunks]), pixels)
    np.testing.assert_array_equal(np.concatenate([inputs for _, inputs in chunks]), pixels // 2)
  np.testing.assert_array_equal(test_set.labels, labels)
  assert test_set.labels.dtype == np.int64


def test_a_limit_takes_the_first_examples(digits):
  pixels, labels = digits.split_arrays("test")
  test_set = VerificationSet.from_split(digits, "test", _halved, limit=120, chunk_size=50)
  assert (test_set.num_examples, test_set.available) == (120, len(labels))
  assert [len(features) for features, _ in test_set] == [50, 50, 20]
  np.testing.assert_array_equal(test_set.labels, labels[:120])
  features, inputs = test_set.head(70)  # from the first two chunks
  np.testing.assert_array_equal(features, pixels[:70])
  np.testing.assert_array_equal(inputs, pixels[:70] // 2)
  assert len(test_set.head(1000)[0]) == 120


def test_collect_joins_arrays_and_named_arrays_per_example():
  features = np.arange(10)
  test_set = _from_arrays(features, features % 3, available=12, dataset_name="numbers", chunk_size=4,
                          preprocess=lambda values: values * 10)
  sizes = []

  def square(chunk_features, chunk_inputs):
    sizes.append(len(chunk_features))
    return {"square": chunk_features ** 2, "input": chunk_inputs}

  joined = test_set.collect(square)
  assert sizes == [4, 4, 2]
  np.testing.assert_array_equal(joined["square"], features ** 2)
  np.testing.assert_array_equal(joined["input"], features * 10)
  np.testing.assert_array_equal(test_set.collect(lambda chunk_features, _: -chunk_features), -features)


def test_a_source_that_changes_between_passes_is_an_error():
  passes = []

  def batches():
    passes.append(None)
    labels = np.arange(6) if len(passes) == 1 else np.arange(6)[::-1]
    return [(labels[:3], labels[:3]), (labels[3:], labels[3:])]

  test_set = VerificationSet(batches, lambda features: features, num_examples=6, available=6, dataset_name="moving",
                             chunk_size=3)
  with pytest.raises(ValueError, match="changed between passes"):
    list(test_set)


def test_an_empty_set_has_nothing_to_collect(digits):
  empty = _from_arrays(np.zeros((0, 4), np.int32), np.zeros((0,), np.int64), available=0, dataset_name="nothing")
  assert empty.num_examples == 0 and list(empty) == []
  with pytest.raises(ValueError, match="nothing to verify on"):
    empty.collect(lambda features, inputs: inputs)
  with pytest.raises(ValueError, match="chunk_size=0"):
    VerificationSet.from_split(digits, "test", _halved, chunk_size=0)
