"""Tests of tfmodels/data/record_reading.py: serialized records, decoded a batch at a time, are TFDS's own examples."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tfmodels.data import record_reading


def _prepared(tmp_path, features, make, count=60, num_shards=4):
  builder = tfds.dataset_builders.store_as_tfds_dataset(
      name="toy_records", version="1.0.0", features=features, data_dir=str(tmp_path),
      split_datasets={"train": [(index, make(index)) for index in range(count)]},
      download_config=tfds.download.DownloadConfig(num_shards=num_shards), disable_shuffling=True)
  return tfds.builder_from_directory(builder.data_dir)


_RNG = np.random.default_rng(0)
# One of each kind of feature the project reads: raw pixels (how users' images are stored), PNG images, text.
_KINDS = {
    "raw_pixels": (tfds.features.Tensor(shape=(5, 4, 3), dtype=np.uint8, encoding=tfds.features.Encoding.BYTES),
                   lambda index: _RNG.integers(0, 256, (5, 4, 3), np.uint8)),
    "png": (tfds.features.Image(shape=(5, 4, 1)), lambda index: _RNG.integers(0, 256, (5, 4, 1), np.uint8)),
    "text": (tfds.features.Text(), lambda index: f"text number {index} " * (index % 4)),
}


@pytest.mark.parametrize("kind", sorted(_KINDS))
@pytest.mark.parametrize("seed", [None, 7])
@pytest.mark.parametrize("spec", ["train", "train[10:50]"])
def test_batches_of_serialized_records_decode_to_tfds_examples_in_tfds_order(tmp_path, kind, seed, spec):
  feature, make = _KINDS[kind]
  features = tfds.features.FeaturesDict({"x": feature, "label": tfds.features.ClassLabel(names=["a", "b", "c"])})
  builder = _prepared(tmp_path, features, lambda index: {"x": make(index), "label": index % 3})
  expected = list(record_reading.read_records(builder, spec, shuffle_seed=seed).as_numpy_iterator())
  decode = record_reading.batch_decoder(builder, ("x", "label"))
  batches = record_reading.read_serialized(builder, spec, shuffle_seed=seed).batch(16).map(decode)
  got = [{key: batch[key][row] for key in batch} for batch in batches.as_numpy_iterator()
         for row in range(len(batch["label"]))]
  assert len(got) == len(expected) == (40 if spec != "train" else 60)
  for mine, theirs in zip(got, expected):
    assert mine["label"] == theirs["label"]
    np.testing.assert_array_equal(mine["x"], theirs["x"])
  assert batches.element_spec["x"].shape[1:] == features["x"].shape


def test_each_input_pipeline_reads_the_same_files_as_tfds(tmp_path):
  features = tfds.features.FeaturesDict({"x": tfds.features.Text(), "label": tfds.features.ClassLabel(num_classes=2)})
  builder = _prepared(tmp_path, features, lambda index: {"x": str(index), "label": index % 2})
  decode = record_reading.batch_decoder(builder, ("x",))
  seen = []
  for pipeline in range(2):
    context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline)
    theirs = [int(example["x"]) for example in
              record_reading.read_records(builder, "train", shuffle_seed=3, input_context=context).as_numpy_iterator()]
    mine = [int(text) for text in record_reading.decoded(
        record_reading.read_serialized(builder, "train", shuffle_seed=3, input_context=context),
        decode).map(lambda example: example["x"]).as_numpy_iterator()]
    assert mine == theirs
    seen += mine
  assert sorted(seen) == list(range(60))


def test_a_converter_runs_on_each_decoded_example(tmp_path):
  features = tfds.features.FeaturesDict({"x": tfds.features.Image(shape=(None, None, 1)),
                                         "label": tfds.features.ClassLabel(num_classes=2)})
  # Images of two sizes, brought to one by the converter.
  builder = _prepared(tmp_path, features, lambda index: {"x": np.full((3 + index % 2, 4, 1), index, np.uint8),
                                                         "label": index % 2}, count=10, num_shards=1)
  converter = (lambda image: tf.image.resize(image, (2, 2), method="nearest"), tf.TensorSpec((2, 2, 1), tf.uint8))
  decode = record_reading.batch_decoder(builder, ("x", "label"), {"x": converter})
  batch = next(iter(record_reading.read_serialized(builder, "train").batch(10).map(decode)))
  assert batch["x"].shape == (10, 2, 2, 1)
  np.testing.assert_array_equal(batch["x"].numpy()[:, 0, 0, 0], np.arange(10))


def test_a_feature_of_several_values_per_record_is_refused_by_name(tmp_path):
  features = tfds.features.FeaturesDict({"x": tfds.features.Sequence(tfds.features.Text()),
                                         "label": tfds.features.ClassLabel(num_classes=2)})
  builder = _prepared(tmp_path, features, lambda index: {"x": ["a"] * (index % 3), "label": 0}, count=4,
                      num_shards=1)
  with pytest.raises(ValueError, match="Feature 'x' of toy_records"):
    record_reading.batch_decoder(builder, ("x", "label"))
