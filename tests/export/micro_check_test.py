"""Tests of export/tflite/micro_check.py on real TensorFlow Lite Micro."""

import numpy as np
import tensorflow as tf

from edge.model_metadata import TensorInfo
from export.tflite.micro_check import check_on_micro
from export.tflite.tflite_ops import TfliteOps
from export.verification import GateRunner


def _convert(path, function, spec, calibration):
  converter = tf.lite.TFLiteConverter.from_concrete_functions(
      [tf.function(function, input_signature=[spec], autograph=False).get_concrete_function()])
  converter.optimizations = [tf.lite.Optimize.DEFAULT]
  converter.representative_dataset = lambda: ([sample[None]] for sample in calibration)
  converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
  converter.inference_input_type = tf.int8
  converter.inference_output_type = tf.int8
  path.write_bytes(converter.convert())
  return str(path)


def test_an_integer_classifier_runs_on_micro_and_agrees_with_litert(tmp_path):
  rng = np.random.default_rng(0)
  weights = tf.constant(rng.normal(size=(16, 5)).astype(np.float32))
  inputs = rng.normal(size=(40, 16)).astype(np.float32)
  path = _convert(tmp_path / "dense.tflite", lambda x: tf.nn.relu(tf.matmul(x, weights)) - 1.0,
                  tf.TensorSpec((1, 16), tf.float32), inputs[:20])
  assert TfliteOps.read(path).integer_only
  runner = GateRunner(path)
  litert = runner.logits(inputs)
  check = check_on_micro(path, runner.input, runner.output, inputs, litert)
  assert check.ran and check.examples == 40 and check.error is None
  assert check.top1_agreement == 1.0 and check.max_abs_logit_difference <= runner.output.scale + 1e-6
  assert 0 < check.arena_bytes < 64 * 1024
  assert f"tensor arena of {check.arena_bytes:,} bytes" in check.summary()
  # The check can fail: logits that are not LiteRT's are counted as disagreements.
  shuffled = check_on_micro(path, runner.input, runner.output, inputs, litert[::-1])
  assert shuffled.top1_agreement < 1.0


def test_an_operator_micro_lacks_is_named(tmp_path):
  # tf.where on a comparison becomes SELECT_V2 or SELECT, which TFLite Micro has no kernel for.
  rng = np.random.default_rng(1)
  inputs = rng.normal(size=(10, 8)).astype(np.float32)
  path = _convert(tmp_path / "select.tflite", lambda x: tf.where(x > 0.0, x, x * 0.5) * 2.0,
                  tf.TensorSpec((1, 8), tf.float32), inputs)
  info = TensorInfo(name="x", dtype="int8", shape=(1, 8), scale=0.05, zero_point=0)
  check = check_on_micro(path, info, info, inputs, inputs)
  assert not check.ran and check.error.startswith("TFLite Micro has no kernel for SELECT")
  assert check.summary().startswith("not run on TFLite Micro: TFLite Micro has no kernel for SELECT")
