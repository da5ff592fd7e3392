"""Tests for tfmodels/layers/centered_layer_normalization.py."""

import keras
import numpy as np
import tensorflow as tf

from export.tflite.tflite_ops import TfliteOps
from tfmodels.layers import CenteredLayerNormalization

INPUTS = np.random.default_rng(0).normal(3.0, 2.0, (2, 5, 8)).astype(np.float32)


def _pair(**kwargs):
  """A Keras LayerNormalization and a CenteredLayerNormalization with the same random weights."""
  reference = keras.layers.LayerNormalization(**kwargs)
  centered = CenteredLayerNormalization(**kwargs)
  reference.build(INPUTS.shape)
  centered.build(INPUTS.shape)
  rng = np.random.default_rng(1)
  weights = [rng.normal(size=w.shape).astype(np.float32) for w in reference.get_weights()]
  reference.set_weights(weights)
  centered.set_weights(weights)  # the same weights, so a Keras LayerNormalization's checkpoint loads
  return reference, centered


def test_it_computes_what_keras_computes():
  reference, centered = _pair(epsilon=1e-5)
  np.testing.assert_allclose(keras.ops.convert_to_numpy(centered(INPUTS)),
                             keras.ops.convert_to_numpy(reference(INPUTS)), atol=1e-5)


def test_other_axes_and_settings_compute_as_keras():
  for kwargs in ({"axis": 1}, {"center": False}, {"scale": False}):
    reference, centered = _pair(**kwargs)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(centered(INPUTS)),
                               keras.ops.convert_to_numpy(reference(INPUTS)), atol=1e-5, err_msg=str(kwargs))


def test_half_precision_computes_in_float32_and_returns_the_policy_dtype():
  reference, centered = _pair(dtype="mixed_float16")
  output = centered(INPUTS)
  assert keras.backend.standardize_dtype(output.dtype) == "float16"
  np.testing.assert_allclose(keras.ops.convert_to_numpy(output).astype(np.float32),
                             keras.ops.convert_to_numpy(reference(INPUTS)).astype(np.float32), atol=2e-2)


def test_it_round_trips_through_its_config():
  _, centered = _pair(epsilon=1e-3)
  copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(centered))
  assert isinstance(copy, CenteredLayerNormalization) and copy.epsilon == 1e-3


def test_full_integer_quantization_keeps_it_integer():
  """Keras' own layer leaves int8 for a NEG (DEQUANTIZE, NEG, QUANTIZE); this one converts to integer operators."""
  def integer_ops(layer):
    model = keras.Sequential([keras.Input(batch_shape=(1, 5, 8)), layer])
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([INPUTS[i:i + 1]] for i in range(2))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    return TfliteOps.parse(converter.convert())

  reference, centered = _pair()
  assert "NEG" in integer_ops(reference).float_ops
  ops = integer_ops(centered)
  assert ops.integer_only, ops.float_ops
  assert "NEG" not in {name for name, _ in ops.ops} and "SQUARED_DIFFERENCE" not in {name for name, _ in ops.ops}
