"""Tests of the Digits TFDS builder."""

import numpy as np
from sklearn import datasets
import tensorflow_datasets as tfds

from tfmodels.data.builders.digits import Digits


def test_prepares_all_digits_scaled_to_uint8_in_three_stratified_splits(tmp_path):
  builder = Digits(data_dir=str(tmp_path))
  builder.download_and_prepare()
  counts = {name: split.num_examples for name, split in builder.info.splits.items()}
  assert counts == {"train": 1259, "validation": 179, "test": 359}
  assert builder.info.features["label"].names == [str(d) for d in range(10)]
  test_labels = tfds.as_numpy(builder.as_dataset(split="test", batch_size=-1))["label"]
  assert np.bincount(test_labels).min() >= 35 and np.bincount(test_labels).max() <= 37  # 20 % of each digit
  data = tfds.as_numpy(builder.as_dataset(split="train+validation+test", batch_size=-1))
  assert data["image"].shape == (1797, 8, 8, 1) and data["image"].dtype == np.uint8
  # TFDS stores examples in its own order; compare as multisets of (image, label).
  source = datasets.load_digits()
  expected = sorted((np.round(image * 255 / 16).astype(np.uint8).tobytes(), int(label))
                    for image, label in zip(source.images, source.target))
  actual = sorted((image[..., 0].tobytes(), int(label)) for image, label in zip(data["image"], data["label"]))
  assert actual == expected
  assert data["image"].max() == 255  # 16 * 255 / 16
