"""Tests of the Digits TFDS builder."""

import numpy as np
from sklearn import datasets
import tensorflow_datasets as tfds

from tfmodels.data.builders.digits import Digits


def test_prepares_all_digits_scaled_to_uint8(tmp_path):
  builder = Digits(data_dir=str(tmp_path))
  builder.download_and_prepare()
  assert builder.info.splits["train"].num_examples == 1797
  assert builder.info.features["label"].names == [str(d) for d in range(10)]
  data = tfds.as_numpy(builder.as_dataset(split="train", batch_size=-1))
  assert data["image"].shape == (1797, 8, 8, 1) and data["image"].dtype == np.uint8
  # TFDS stores examples in its own order; compare as multisets of (image, label).
  source = datasets.load_digits()
  expected = sorted((np.round(image * 255 / 16).astype(np.uint8).tobytes(), int(label))
                    for image, label in zip(source.images, source.target))
  actual = sorted((image[..., 0].tobytes(), int(label)) for image, label in zip(data["image"], data["label"]))
  assert actual == expected
  assert data["image"].max() == 255  # 16 * 255 / 16
