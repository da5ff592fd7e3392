"""Tests of `LoadedDataset` over prepared records: streaming reads, sharding by files, samples."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tfmodels.data import loaded_dataset


def _prepared(tmp_path, train=40, test=10, num_shards=4, ordered=False):
  features = tfds.features.FeaturesDict({"image": tfds.features.Image(shape=(4, 4, 1)),
                                         "label": tfds.features.ClassLabel(names=["a", "b"])})
  rng = np.random.default_rng(0)

  def examples(count, offset):
    # Pixel [0, 0] holds the example's number, so examples can be told apart after reading.
    for index in range(count):
      image = rng.integers(0, 256, (4, 4, 1), np.uint8)
      image[0, 0, 0] = offset + index
      yield offset + index, {"image": image, "label": index % 2}

  builder = tfds.dataset_builders.store_as_tfds_dataset(
      name="toy_images", version="1.0.0", features=features, data_dir=str(tmp_path),
      split_datasets={"train": list(examples(train, 0)), "test": list(examples(test, 100))},
      download_config=tfds.download.DownloadConfig(num_shards=num_shards), disable_shuffling=ordered)
  return tfds.builder_from_directory(builder.data_dir)


def test_splits_stream_as_pairs_and_a_missing_split_is_empty(tmp_path):
  dataset = loaded_dataset.from_prepared("toy", _prepared(tmp_path), feature_key="image", label_key="label")
  assert dataset.kind == "image" and dataset.feature_shape == (4, 4, 1) and dataset.label_names == ("a", "b")
  assert dataset.num_examples == {"train": 40, "validation": 0, "test": 10}
  assert dataset.read("train").element_spec == (tf.TensorSpec((4, 4, 1), tf.uint8), tf.TensorSpec((), tf.int64))
  images, labels = dataset.split_arrays("validation")
  assert images.shape == (0, 4, 4, 1) and labels.shape == (0,)
  assert sum(1 for _ in dataset.read("validation")) == 0
  images, _ = dataset.split_arrays("train", limit=7)
  assert images.shape == (7, 4, 4, 1)


def test_input_pipelines_read_disjoint_files_that_make_the_whole_split(tmp_path):
  dataset = loaded_dataset.from_prepared("toy", _prepared(tmp_path), feature_key="image", label_key="label")
  assert dataset.num_files("train") == 4
  seen = []
  for pipeline in range(2):
    context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline)
    seen.append([int(image[0, 0, 0]) for image, _ in dataset.read("train", shuffle_seed=3, input_context=context)])
  assert len(seen[0]) == len(seen[1]) == 20
  assert not set(seen[0]) & set(seen[1])
  assert sorted(seen[0] + seen[1]) == list(range(40))


@pytest.mark.parametrize("ordered", [False, True])  # the project's own builders write in a fixed order
def test_file_order_is_seeded(tmp_path, ordered):
  dataset = loaded_dataset.from_prepared("toy", _prepared(tmp_path, ordered=ordered), feature_key="image",
                                         label_key="label")
  order = lambda seed: [int(image[0, 0, 0]) for image, _ in dataset.read("train", shuffle_seed=seed)]
  assert order(1) == order(1)
  assert sorted(order(1)) == list(range(40))
  assert order(None) == [int(image[0, 0, 0]) for image, _ in dataset.read("train")]


def test_sample_is_seeded_and_in_record_order(tmp_path):
  dataset = loaded_dataset.from_prepared("toy", _prepared(tmp_path), feature_key="image", label_key="label")
  first, labels = dataset.sample_arrays("train", 12, seed=0)
  again, _ = dataset.sample_arrays("train", 12, seed=0)
  assert first.shape == (12, 4, 4, 1) and labels.shape == (12,)
  np.testing.assert_array_equal(first, again)
  order = [int(image[0, 0, 0]) for image, _ in dataset.read("train")]
  picked = [order.index(int(image[0, 0, 0])) for image in first]
  assert picked == sorted(picked)
  assert dataset.sample_arrays("train", 100, seed=0)[0].shape[0] == 40


def test_without_a_seed_a_split_of_several_files_reads_in_record_order(tmp_path):
  # 50 records a file: more than the 16 that an interleaved read takes from one file at a time.
  dataset = loaded_dataset.from_prepared("toy", _prepared(tmp_path, train=200, ordered=True), feature_key="image",
                                         label_key="label")
  assert dataset.num_files("train") == 4
  assert [int(image[0, 0, 0]) for image, _ in dataset.read("train")] == list(range(200))
  images, _ = dataset.split_arrays("train")
  assert images[:, 0, 0, 0].tolist() == list(range(200))
