"""Tests of export/tflite/tflite_ops.py: op listing, and the detection of ops LiteRT cannot run."""

import os

import pytest
import tensorflow as tf

from export.tflite.tflite_ops import TfliteOps
from tests.testing.language_models import SEQUENCE_LENGTH, exported_language_model


def _convert(function, input_spec, *ops_sets) -> bytes:
  concrete = tf.function(function, input_signature=[input_spec], autograph=False).get_concrete_function()
  converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
  converter.target_spec.supported_ops = list(ops_sets)
  return converter.convert()


def test_builtin_ops_are_listed_with_versions_and_counts():
  content = _convert(lambda x: tf.tanh(x * 2.0) * 3.0 + 1.0, tf.TensorSpec((1, 4), tf.float32),
                     tf.lite.OpsSet.TFLITE_BUILTINS)
  ops = TfliteOps.parse(content)
  assert ops.builtin_only and ops.custom_ops == () and ops.flex_ops == ()
  assert {name for name, _ in ops.ops} == {"MUL", "ADD", "TANH"}
  assert ops.ops[("MUL", 1)] == 2
  assert "TANH v1" in ops.names()
  assert ops.variable_tensors == 0
  assert ops.to_dict()["ops"][0]["count"] >= 1


def test_a_select_tf_op_is_caught_as_flex(tmp_path):
  # tf.strings ops have no TFLite builtin: allowing Select TF ops turns them into a Flex custom op.
  content = _convert(lambda text: tf.strings.length(tf.strings.lower(text)), tf.TensorSpec((1,), tf.string),
                     tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS)
  path = tmp_path / "flex.tflite"
  path.write_bytes(content)
  ops = TfliteOps.read(path)
  assert not ops.builtin_only
  assert set(ops.flex_ops) == {"FlexStringLength", "FlexStringLower"}
  assert set(ops.flex_ops) <= set(ops.custom_ops)


def test_one_signature_of_a_language_model_file(tmp_path_factory):
  export_dir, _ = exported_language_model(tmp_path_factory.getbasetemp(), "transformer_lm")
  path = os.path.join(export_dir, "tflite", "pride_transformer_lm_float32.tflite")
  whole, prefill, decode = TfliteOps.read(path), TfliteOps.read(path, "prefill"), TfliteOps.read(path, "decode")
  short = TfliteOps.read(path, f"prefill_{SEQUENCE_LENGTH // 2}")
  assert prefill.count + decode.count + short.count == whole.count and 0 < decode.count < whole.count
  with pytest.raises(ValueError, match="no signature 'serving_default'"):
    TfliteOps.read(path, "serving_default")


def test_operators_on_float_tensors_are_named():
  content = _convert(lambda x: tf.tanh(x * 2.0) * 3.0 + 1.0, tf.TensorSpec((1, 4), tf.float32),
                     tf.lite.OpsSet.TFLITE_BUILTINS)
  ops = TfliteOps.parse(content)
  assert ops.float_ops == {"ADD": 1, "MUL": 2, "TANH": 1} and not ops.integer_only
  integer = TfliteOps.parse(_convert(lambda x: x * 3 + 1, tf.TensorSpec((1, 4), tf.int32),
                                     tf.lite.OpsSet.TFLITE_BUILTINS))
  assert integer.integer_only and integer.float_ops == {} and integer.to_dict()["integer_only"] is True
