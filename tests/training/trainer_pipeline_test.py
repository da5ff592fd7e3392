"""Tests of the trainer's input pipeline (tfmodels/training/trainer.py, `Trainer._input_pipeline`)."""

import numpy as np
import tensorflow as tf

from tfmodels.training.experiment import config_from_flags
from tfmodels.training.task_data import TaskData
from tfmodels.training.trainer import Trainer


def _task_data(count=10, num_files=1, budget=1 << 20):
  examples = tf.data.Dataset.from_tensor_slices((np.arange(count * 64, dtype=np.uint8).reshape(count, 8, 8, 1),
                                                 np.arange(count)))
  reads = []

  def reader(split, shuffle_seed, context):
    reads.append((split, shuffle_seed, context is not None))
    if context is not None:  # stands for reading one pipeline's files: the first or the second half
      half = count // 2
      return examples.skip(half * context.input_pipeline_id).take(half)
    return examples

  data = TaskData(kind="image", num_examples={"train": count, "validation": 0, "test": 0}, model_args={},
                  description={}, reader=reader, num_files={"train": num_files, "validation": 1, "test": 1},
                  input_bytes=72, cache_budget_bytes=budget)
  return data, reads


def _labels(batches):
  return np.concatenate([labels.numpy() for _, labels in batches]).tolist()


def _trainer(tmp_path, batch_size=4):
  config = config_from_flags(model="cnn", dataset="digits", batch_size=batch_size, strategy="default")
  return Trainer(config, str(tmp_path), log=lambda line: None)


def test_on_a_cpu_batches_are_prefetched_without_tf_data_autotuning(tmp_path):
  trainer = _trainer(tmp_path)
  data, _ = _task_data()
  batches = trainer._input_pipeline(data, "train", True, 1, tf.distribute.InputContext())  # pylint: disable=protected-access
  assert batches.options().autotune.enabled is False
  labels = _labels(batches)
  assert sorted(labels) == list(range(10))
  again = trainer._input_pipeline(data, "train", True, 1, tf.distribute.InputContext())  # pylint: disable=protected-access
  assert labels == _labels(again)  # the epoch's order is fixed by the seed


def test_a_split_within_the_budget_is_read_once_and_kept(tmp_path):
  trainer = _trainer(tmp_path)
  data, reads = _task_data()
  for epoch in (1, 2):
    _labels(trainer._input_pipeline(data, "train", True, epoch, tf.distribute.InputContext()))  # pylint: disable=protected-access
  assert reads == [("train", None, False)]  # cached after the first pass: no file shuffle, one read


def test_a_split_over_the_budget_streams_with_a_seeded_file_order_each_epoch(tmp_path):
  trainer = _trainer(tmp_path)
  data, reads = _task_data(budget=0)
  for epoch in (1, 2):
    _labels(trainer._input_pipeline(data, "train", True, epoch, tf.distribute.InputContext()))  # pylint: disable=protected-access
  assert reads == [("train", 43, False), ("train", 44, False)]  # seed 42 + epoch


def test_two_pipelines_split_the_examples_between_them(tmp_path):
  trainer = _trainer(tmp_path)
  for num_files, budget in ((4, 0), (1, 0), (4, 1 << 20)):  # own files; too few files; held in memory
    data, reads = _task_data(num_files=num_files, budget=budget)
    seen = [_labels(trainer._input_pipeline(  # pylint: disable=protected-access
        data, "train", True, 1, tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=worker,
                                                           num_replicas_in_sync=2))) for worker in (0, 1)]
    own_files = num_files == 4 and budget == 0
    assert all(by_files == own_files for _, _, by_files in reads)
    assert not set(seen[0]) & set(seen[1]) and set(seen[0]) | set(seen[1]) == set(range(10)), (num_files, budget)
    if own_files:  # each worker repeats its half as needed to give ceil(10 / 4) = 3 full batches of 2
      assert len(seen[0]) == len(seen[1]) == 6
    else:
      assert sorted(seen[0] + seen[1]) == list(range(10))


def test_streamed_real_records_give_the_same_order_for_the_same_epoch(tmp_path):
  # What makes a resumed run exact when its training split streams from the record files (digits, nothing cached).
  from tfmodels.training.classification_data import classification_data  # pylint: disable=g-import-not-at-top
  config = config_from_flags(model="cnn", dataset="digits", batch_size=64, strategy="default",
                             params="data.cache_budget_mb=0,data.shuffle_buffer=256")
  trainer = Trainer(config, str(tmp_path), log=lambda line: None)
  data = classification_data(config, str(tmp_path), str(tmp_path))
  assert data.cached_splits == ()
  order = lambda epoch: _labels(trainer._input_pipeline(  # pylint: disable=protected-access
      data, "train", True, epoch, tf.distribute.InputContext()))
  first = order(3)
  assert first == order(3) and len(first) == data.num_examples["train"]
  assert first != order(4)


def test_streamed_records_are_shuffled_and_batched_before_they_are_decoded(tmp_path):
  trainer = _trainer(tmp_path)
  records = tf.data.Dataset.range(10)
  decoded_shapes = []

  def decode(batch):  # a batch of records (here: numbers) -> (images, labels)
    decoded_shapes.append(batch.shape.as_list())
    return tf.zeros([tf.shape(batch)[0], 8, 8, 1], tf.uint8), batch
  for budget in (0, 1 << 20):  # streamed; held in memory (decoded once, on the first pass)
    data = TaskData(kind="image", num_examples={"train": 10, "validation": 0, "test": 0}, model_args={},
                    description={}, reader=lambda split, seed, context: records, decode=decode,
                    num_files={"train": 1, "validation": 1, "test": 1}, input_bytes=72, cache_budget_bytes=budget)
    labels = _labels(trainer._input_pipeline(data, "train", True, 1, tf.distribute.InputContext()))  # pylint: disable=protected-access
    assert sorted(labels) == list(range(10)) and labels != list(range(10))
    for images, _ in data.dataset("train").batch(10):
      assert images.shape == (10, 8, 8, 1)
  assert [None] in decoded_shapes  # the streamed pipeline decodes whole batches
