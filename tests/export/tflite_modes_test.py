"""Tests of export/tflite/tflite_modes.py: the mode table and the converter settings of each mode."""

import numpy as np
import pytest
import tensorflow as tf

from export.export_error import ExportError
from export.tflite.tflite_modes import DEFAULT_MODE_NAMES, MODE_NAMES, MODES, parse_modes


def _converter():
  function = tf.function(lambda x: x * 2.0, input_signature=[tf.TensorSpec((1, 4), tf.float32)])
  return tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()])


def test_the_table_holds_the_modes_in_order_and_exports_four_unless_asked():
  assert MODE_NAMES == ("float32", "float16", "dynamic_int8", "full_int8", "int16x8")
  assert DEFAULT_MODE_NAMES == MODE_NAMES[:4]
  assert [mode.quantized for mode in MODES.values()] == [False, False, True, True, True]
  assert [mode.gates for mode in MODES.values()] == ["float32", "float16", "int8", "int8", "int8"]


def test_parse_modes_keeps_table_order_and_drops_repeats():
  assert [m.name for m in parse_modes("full_int8, float32,full_int8")] == ["float32", "full_int8"]
  assert [m.name for m in parse_modes(["float16"])] == ["float16"]


@pytest.mark.parametrize("names", ["float32,int4", "fp16", ""])
def test_parse_modes_names_the_valid_modes(names):
  with pytest.raises(ExportError, match="float32, float16, dynamic_int8, full_int8, int16x8"):
    parse_modes(names)


def test_float_modes_keep_builtin_ops_and_float_io():
  for name, optimized, types in (("float32", False, []), ("float16", True, [tf.float16]),
                                 ("dynamic_int8", True, [])):
    converter = _converter()
    MODES[name].configure(converter, "image")
    assert list(converter.target_spec.supported_ops) == [tf.lite.OpsSet.TFLITE_BUILTINS]
    assert bool(converter.optimizations) == optimized
    assert list(converter.target_spec.supported_types) == types
    assert converter.inference_input_type == tf.float32 and converter.representative_dataset is None


def test_full_int8_takes_uint8_pixels_but_leaves_token_ids_alone():
  samples = lambda: ([np.zeros((1, 4), np.float32)] for _ in range(2))
  image, text = _converter(), _converter()
  MODES["full_int8"].configure(image, "image", samples)
  MODES["full_int8"].configure(text, "text", samples)
  assert list(image.target_spec.supported_ops) == [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
  assert (image.inference_input_type, image.inference_output_type) == (tf.uint8, tf.int8)
  assert (text.inference_input_type, text.inference_output_type) == (tf.float32, tf.int8)
  with pytest.raises(ValueError, match="representative dataset"):
    MODES["full_int8"].configure(_converter(), "image")


def test_int16x8_takes_int16_values_and_int16_activations():
  samples = lambda: ([np.zeros((1, 4), np.float32)] for _ in range(2))
  image, text = _converter(), _converter()
  MODES["int16x8"].configure(image, "image", samples)
  MODES["int16x8"].configure(text, "text", samples)
  assert list(image.target_spec.supported_ops) == [
      tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
  assert (image.inference_input_type, image.inference_output_type) == (tf.int16, tf.int16)
  assert (text.inference_input_type, text.inference_output_type) == (tf.float32, tf.int16)
