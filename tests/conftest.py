"""Test-session setup shared by every test directory."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # pylint: disable=g-import-not-at-top

# Two logical CPU devices, so MirroredStrategy has two replicas to mirror over on a machine without GPUs. This must
# run before TensorFlow initialises its devices, which is why it lives here, first.
_CPUS = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _CPUS[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
