"""Tests of the deterministic, stratified split."""

import logging

import numpy as np
import pytest

from tfmodels.data import splits

_FRACTIONS = {"validation": 0.1, "test": 0.2}


def _labels():
  # Unequal classes, interleaved the way a shuffled source would be.
  return np.random.default_rng(7).permutation(np.repeat(np.arange(4), [500, 300, 120, 80]))


def test_same_seed_same_split_other_seed_other_split():
  first = splits.stratified_split(_labels(), _FRACTIONS, seed=3)
  again = splits.stratified_split(_labels(), _FRACTIONS, seed=3)
  other = splits.stratified_split(_labels(), _FRACTIONS, seed=4)
  for name in ("train", "validation", "test"):
    np.testing.assert_array_equal(first[name], again[name])
  assert not np.array_equal(np.sort(first["test"]), np.sort(other["test"]))


def test_splits_partition_the_examples_and_keep_class_balance():
  labels = _labels()
  result = splits.stratified_split(labels, _FRACTIONS, seed=0)
  assert list(result) == ["train", "validation", "test"]
  everything = np.concatenate(list(result.values()))
  np.testing.assert_array_equal(np.sort(everything), np.arange(len(labels)))
  for label, size in enumerate([500, 300, 120, 80]):
    assert np.sum(labels[result["validation"]] == label) == round(size * 0.1)
    assert np.sum(labels[result["test"]] == label) == round(size * 0.2)


def test_split_order_is_shuffled_not_grouped_by_class():
  labels = np.repeat(np.arange(2), 100)  # Sorted by class, like a folder listing.
  train = splits.stratified_split(labels, _FRACTIONS, seed=0)["train"]
  assert 0 < np.sum(np.diff(labels[train]) != 0) and not np.all(np.diff(train) > 0)


def test_tiny_classes_stay_in_train_with_a_warning(caplog):
  labels = np.array([0] * 50 + [1] * 2 + [2])
  with caplog.at_level(logging.WARNING):
    result = splits.stratified_split(labels, _FRACTIONS, seed=0, label_names=("big", "pair", "single"))
  for label in (0, 1, 2):
    assert label in labels[result["train"]]
  assert 2 not in labels[result["validation"]] and 2 not in labels[result["test"]]
  assert "Class 'single' has only 1 example(s)" in caplog.text
  assert "Class 'pair' has only 2 example(s)" in caplog.text


@pytest.mark.parametrize("count", [3, 4, 5])
def test_every_class_keeps_a_training_example(count):
  labels = np.repeat(np.arange(3), count)
  result = splits.stratified_split(labels, {"validation": 0.4, "test": 0.5}, seed=1)
  assert sorted(set(labels[result["train"]].tolist())) == [0, 1, 2]


@pytest.mark.parametrize("count, fractions, refused, minimum", [
    (2, _FRACTIONS, "a validation split and a test split", 6),  # two images per class: round(0.2), round(0.4) are 0
    (4, _FRACTIONS, "a validation split", 6),  # round(0.4) = 0 for validation; the test split gets one per class
    (1, {"test": 0.2}, "a test split", 3),  # a single example per class stays in training
])
def test_a_split_too_small_to_carve_is_refused_with_the_minimum_per_class(count, fractions, refused, minimum,
                                                                          caplog):
  labels = np.repeat(np.arange(10), count)
  with caplog.at_level(logging.WARNING), pytest.raises(splits.DataError) as error:
    splits.stratified_split(labels, fractions, seed=0)
  message = str(error.value)
  assert message.startswith(f"Too few examples to carve {refused}: the largest class has {count} example(s)")
  assert f"Give every class at least {minimum} examples, or supply the" in message
  assert "has only" not in caplog.text  # the refusal, not ten warnings before it
  # The named minimum is exact: that many examples per class carve every split, one fewer does not.
  result = splits.stratified_split(np.repeat(np.arange(10), minimum), fractions, seed=0)
  for name in fractions:
    assert sorted(set(np.repeat(np.arange(10), minimum)[result[name]].tolist())) == list(range(10))
  with pytest.raises(splits.DataError):
    splits.stratified_split(np.repeat(np.arange(10), minimum - 1), fractions, seed=0)


def test_complete_splits_refuses_an_empty_carved_split_but_keeps_a_supplied_one():
  features, labels = np.arange(20).reshape(20, 1), np.repeat(np.arange(10), 2)
  with pytest.raises(splits.DataError, match="Too few examples to carve a validation split and a test split"):
    splits.complete_splits({"train": (features, labels)}, 0.1, 0.2, seed=0)
  supplied = {"train": (features, labels), "validation": (features[:3], labels[:3]), "test": (features, labels)}
  assert len(splits.complete_splits(supplied, 0.1, 0.2, seed=0)["train"][1]) == 20


def test_zero_fraction_gives_an_empty_split():
  result = splits.stratified_split(_labels(), {"validation": 0.0, "test": 0.2}, seed=0)
  assert result["validation"].shape == (0,)


def test_complete_splits_carves_only_what_is_missing():
  features = np.arange(1000).reshape(1000, 1)
  labels = _labels()
  test = (np.arange(50).reshape(50, 1), np.zeros(50, np.int64))
  result = splits.complete_splits({"train": (features, labels), "test": test}, 0.1, 0.2, seed=0)
  assert result["test"] is test
  assert len(result["validation"][1]) == 100 and len(result["train"][1]) == 900
  np.testing.assert_array_equal(labels[result["train"][0][:, 0]], result["train"][1])
