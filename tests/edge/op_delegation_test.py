"""Tests of edge/op_delegation.py on a small converted model."""

import numpy as np
import pytest
import tensorflow as tf

from edge.op_delegation import OpDelegation, interpreter_without_xnnpack, undelegated_reason


@pytest.fixture(scope="module", name="model_path")
def _model_path(tmp_path_factory):
  weights = tf.constant(np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32))

  @tf.function(input_signature=[tf.TensorSpec((1, 8), tf.float32)])
  def model(x):
    mask = tf.cast(tf.not_equal(x, 0.0), tf.float32)  # NOT_EQUAL and CAST: XNNPACK has neither
    return tf.nn.relu(tf.matmul(x * mask, weights))  # FULLY_CONNECTED with its ReLU, MUL: XNNPACK runs these

  converter = tf.lite.TFLiteConverter.from_concrete_functions([model.get_concrete_function()])
  path = tmp_path_factory.mktemp("delegation") / "model.tflite"
  path.write_bytes(converter.convert())
  return str(path)


def test_operators_are_split_between_xnnpack_and_litert(model_path):
  delegation = OpDelegation.of_file(model_path)
  assert delegation.undelegated == {"CAST": 1, "NOT_EQUAL": 1}
  assert "FULLY_CONNECTED" in delegation.delegated and delegation.partitions == 1
  assert sum(delegation.operators.values()) == (sum(delegation.delegated.values()) +
                                                sum(delegation.undelegated.values()))
  assert not delegation.fully_delegated
  assert delegation.summary().endswith("LiteRT's own kernels run CAST, NOT_EQUAL")
  assert delegation.reasons == {"CAST": "XNNPACK has no CAST kernel", "NOT_EQUAL": "XNNPACK has no comparison kernels"}


def test_the_reason_follows_the_operator_and_its_types():
  assert "int32/bool" in undelegated_reason("ADD", {"int32"})
  assert undelegated_reason("SOFTMAX", {"int8"}) == "XNNPACK has SOFTMAX for float tensors only, not int8"
  assert "zero point" in undelegated_reason("BATCH_MATMUL", {"int8", "int32"})
  assert undelegated_reason("GATHER", {"int32", "float32"}).startswith("XNNPACK has no GATHER kernel")
  assert undelegated_reason("CONV_2D", {"float32"}) == "XNNPACK declined its types or parameters"


def test_without_xnnpack_nothing_is_delegated(model_path):
  delegation = OpDelegation.of_interpreter(interpreter_without_xnnpack(model_path, num_threads=1))
  assert delegation.partitions == 0 and delegation.undelegated == delegation.operators
