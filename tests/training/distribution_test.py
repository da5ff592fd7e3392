"""Tests of tfmodels/training/distribution.py."""

import json

import keras
import pytest
import tensorflow as tf

from tfmodels.config import ConfigError
from tfmodels.training import distribution


def test_auto_is_default_strategy_on_cpu():
  assert distribution.build_strategy("auto") is tf.distribute.get_strategy()


def test_mirrored_uses_every_logical_cpu_without_gpus():
  strategy = distribution.build_strategy("mirrored")
  assert strategy.num_replicas_in_sync == len(tf.config.list_logical_devices("CPU")) == 2


def test_unknown_strategy():
  with pytest.raises(ConfigError, match="Unknown strategy 'tpu'"):
    distribution.build_strategy("tpu")


@pytest.mark.parametrize("tf_config, fragment", [
    ("", "needs the TF_CONFIG"),
    ("{not json", "not valid JSON"),
    (json.dumps({"cluster": {"worker": ["localhost:1"]}}), "'cluster' and 'task'"),
    (json.dumps({"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 3}}),
     "index 3 is outside the cluster"),
    (json.dumps({"cluster": {"worker": ["localhost:1"]}, "task": {"type": "ps", "index": 0}}), "not in the cluster"),
])
def test_bad_tf_config(tf_config, fragment):
  with pytest.raises(ConfigError, match=fragment):
    distribution.check_tf_config(tf_config)


def test_mixed_precision_resolution_on_cpu():
  assert distribution.resolve_mixed_precision("auto") == "float32"
  assert distribution.resolve_mixed_precision("off") == "float32"
  assert distribution.resolve_mixed_precision("mixed_bfloat16") == "mixed_bfloat16"
  with pytest.raises(ConfigError, match="Unknown mixed precision"):
    distribution.resolve_mixed_precision("fp8")


def test_set_precision_policy_sets_and_resets():
  try:
    assert distribution.set_precision_policy("mixed_float16") == "mixed_float16"
    assert keras.mixed_precision.global_policy().compute_dtype == "float16"
  finally:
    distribution.set_precision_policy("off")
  assert keras.mixed_precision.global_policy().name == "float32"


def test_taken_port_is_named():
  import socket
  with socket.socket() as taken:
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    config = json.dumps({"cluster": {"worker": [f"127.0.0.1:{port}"]}, "task": {"type": "worker", "index": 0}})
    with pytest.raises(ConfigError, match=f"Port {port} .* already taken"):
      distribution.check_tf_config(config)


def test_a_process_mirrors_over_its_devices_with_one_strategy():
  # A second MirroredStrategy over the same devices reuses the first one's collective instance keys: a second
  # training in one process then failed ("Shape mismatch in the collective instance 100"); the trainer test
  # test_the_ngram_model_is_fitted_across_mirrored_replicas trains after another mirrored run.
  first = distribution.build_strategy("mirrored")
  assert distribution.build_strategy("mirrored") is first and first.num_replicas_in_sync == 2
