"""Tests of LoadedDataset."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from tfmodels.data import LoadedDataset


def _image_arrays(counts):
  return {split: (np.full((count, 4, 5, 3), i, np.uint8), np.full((count,), i, np.int32))
          for i, (split, count) in enumerate(counts.items())}


def test_image_dataset_from_arrays():
  dataset = LoadedDataset.from_arrays("toy", "image", ("a", "b", "c"),
                                      _image_arrays({"train": 6, "validation": 0, "test": 2}))
  assert dataset.feature_shape == (4, 5, 3)
  assert dataset.num_examples == {"train": 6, "validation": 0, "test": 2}
  assert dataset.num_classes == 3
  feature_spec, label_spec = dataset.splits["train"].element_spec
  assert feature_spec == tf.TensorSpec((4, 5, 3), tf.uint8) and label_spec == tf.TensorSpec((), tf.int64)
  images, labels = dataset.split_arrays("test")
  assert images.shape == (2, 4, 5, 3) and labels.tolist() == [2, 2]
  images, labels = dataset.split_arrays("validation")
  assert images.shape == (0, 4, 5, 3) and labels.shape == (0,)
  with pytest.raises(dataclasses.FrozenInstanceError):
    dataset.name = "other"


def test_text_dataset_from_arrays():
  arrays = {"train": (np.array(["héllo", "world"], object), np.array([0, 1])),
            "validation": (np.array([b"bytes too"], object), np.array([1])),
            "test": (np.array([], object), np.array([], np.int64))}
  dataset = LoadedDataset.from_arrays("toy", "text", ("x", "y"), arrays)
  assert dataset.feature_shape == ()
  for split in ("train", "validation", "test"):
    assert dataset.splits[split].element_spec == (tf.TensorSpec((), tf.string), tf.TensorSpec((), tf.int64))
  texts, labels = dataset.split_arrays("train")
  assert texts.tolist() == ["héllo".encode(), b"world"] and labels.tolist() == [0, 1]
  texts, _ = dataset.split_arrays("test")
  assert texts.shape == (0,)
  with pytest.raises(KeyError, match="Unknown split 'dev'"):
    dataset.split_arrays("dev")
