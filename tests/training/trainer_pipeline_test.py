"""Tests of the trainer's input pipeline on a CPU (tfmodels/training/trainer.py, `Trainer._batches`)."""

import numpy as np
import tensorflow as tf

from tfmodels.training.experiment import config_from_flags
from tfmodels.training.trainer import Trainer


def test_on_a_cpu_batches_are_prefetched_without_tf_data_autotuning(tmp_path):
  config = config_from_flags(model="cnn", dataset="digits", batch_size=4, strategy="default")
  trainer = Trainer(config, str(tmp_path), log=lambda line: None)
  examples = tf.data.Dataset.from_tensor_slices((np.arange(10 * 64, dtype=np.uint8).reshape(10, 8, 8, 1),
                                                 np.arange(10)))
  batches = trainer._batches(examples, training=True, epoch=1)  # pylint: disable=protected-access
  assert batches.options().autotune.enabled is False
  labels = np.concatenate([batch_labels.numpy() for _, batch_labels in batches])
  assert sorted(labels.tolist()) == list(range(10))
  repeated = trainer._batches(examples, training=True, epoch=1)  # pylint: disable=protected-access
  again = np.concatenate([batch_labels.numpy() for _, batch_labels in repeated])
  assert labels.tolist() == again.tolist()  # the epoch's order is fixed by the seed, as before
