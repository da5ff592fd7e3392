"""Tests of export/tflite/tflite_conversion.py: one converter process per mode, and what a crash leaves behind."""

import io
import os
import zipfile

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.lite.tools import flatbuffer_utils

from ai_edge_litert.interpreter import Interpreter
from export.tflite.tflite_conversion import (ABORT_MODES_VARIABLE, convert_in_subprocess, share_quantization_parameters,
                                      signature_samples, write_conversion_saved_model, write_signature_samples)
from export.tflite.tflite_ops import TfliteOps
from tests.testing.language_models import SEQUENCE_LENGTH, exported_language_model
from tests.testing.model_test_case import digits_pixels
from tfmodels.models.cnn_classifier import CnnClassifier


@pytest.fixture(scope="module")
def conversion(tmp_path_factory):
  """A small CNN's conversion SavedModel (float pixels in) and calibration pixels from real digits."""
  folder = tmp_path_factory.mktemp("conversion")
  model = CnnClassifier(num_classes=10, image_shape=(8, 8, 1), conv_filters=(4,), dense_units=0)
  spec = tf.TensorSpec((1, 8, 8, 1), tf.float32, name="pixels")
  write_conversion_saved_model(lambda pixels: model(pixels, training=False), spec, str(folder / "saved_model"))
  np.save(folder / "representative.npy", digits_pixels()[0][:20].astype(np.float32))
  return model, str(folder / "saved_model"), str(folder / "representative.npy"), folder


def test_a_mode_converts_in_its_own_process(conversion):
  model, saved_model, representative, folder = conversion
  output = str(folder / "cnn_full_int8.tflite")
  result = convert_in_subprocess(saved_model, "full_int8", "image", representative, output)
  assert result.succeeded and result.path == output and result.returncode == 0, result.stderr_tail
  ops = TfliteOps.read(output)
  assert ops.builtin_only and ("CONV_2D", 3) in ops.ops  # version 3: the int8 kernel
  assert not [name for name in os.listdir(folder) if name.endswith(".tmp")]


def test_a_crashing_converter_is_reported_and_writes_nothing(conversion, monkeypatch):
  _, saved_model, representative, folder = conversion
  monkeypatch.setenv(ABORT_MODES_VARIABLE, "float16,full_int8")
  output = str(folder / "crashed.tflite")
  result = convert_in_subprocess(saved_model, "float16", "image", representative, output)
  assert not result.succeeded and result.path == "" and not os.path.exists(output)
  assert result.returncode < 0
  assert "SIGABRT" in result.failure() and f"exit code {result.returncode}" in result.failure()


def test_a_failing_converter_reports_its_error(conversion):
  _, _, representative, folder = conversion
  result = convert_in_subprocess(str(folder / "missing"), "float32", "image", representative,
                                 str(folder / "missing.tflite"))
  assert result.returncode == 1 and not result.succeeded
  assert "conversion failed (exit code 1)" in result.failure()
  assert "missing" in result.stderr_tail and result.to_dict()["stderr_tail"]


def test_signature_samples_take_turns_and_keep_their_inputs(tmp_path):
  path = str(tmp_path / "samples.npz")
  prefill = np.arange(6, dtype=np.int32).reshape(3, 1, 2)
  decode = {"tokens": np.array([[[4]], [[5]]], np.int32), "kv_cache_k_0": np.ones((2, 1, 3), np.float32)}
  write_signature_samples({"prefill": {"tokens": prefill}, "decode": decode}, path)
  samples = list(signature_samples(path))
  assert [key for key, _ in samples] == ["prefill", "decode", "prefill", "decode", "prefill"]
  np.testing.assert_array_equal(samples[2][1]["tokens"], prefill[1])
  assert set(samples[3][1]) == {"tokens", "kv_cache_k_0"} and samples[3][1]["tokens"].tolist() == [[5]]


def test_shared_quantization_parameters_keep_outputs_and_shrink_a_two_signature_file(tmp_path_factory):
  export_dir, _ = exported_language_model(tmp_path_factory.getbasetemp(), "transformer_lm")
  path = os.path.join(export_dir, "tflite", "pride_transformer_lm_full_int8.tflite")
  with open(path, "rb") as f:
    written = f.read()
  # The model without the metadata's associated files, which follow it as a zip archive.
  written = written[:min(info.header_offset for info in zipfile.ZipFile(io.BytesIO(written)).infolist())]
  # Undo the sharing (every tensor's parameters packed on their own), then share again.
  unshared = bytes(flatbuffer_utils.convert_object_to_bytearray(flatbuffer_utils.read_model_from_bytearray(written)))
  shared = share_quantization_parameters(unshared)
  assert len(shared) < len(unshared) and len(shared) == len(written)
  window = np.zeros((1, SEQUENCE_LENGTH), np.int32)
  window[0, :12] = np.arange(2, 14)
  logits = []
  for content in (unshared, shared):
    interpreter = Interpreter(model_content=content, num_threads=1)
    outputs = interpreter.get_signature_runner("prefill")(tokens=window)
    logits.append(np.array(outputs["logits"]))
  np.testing.assert_array_equal(logits[0], logits[1])
