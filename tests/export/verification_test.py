"""Tests of export/verification.py on real artifacts: the figures, and that damaged artifacts fail the gates."""

import itertools
import types

import numpy as np
import pytest
import tensorflow as tf

from export.serving.saved_model_export import write_serving_saved_model
from export.tflite.tflite_conversion import convert, write_conversion_saved_model
from edge import tflite_runner
from export.verification import GateRunner, logit_figures, output_failures, per_example_errors, run_signature
from export.verification_gates import VerificationGates
from tfmodels import data as data_lib
from tfmodels.training.model_artifact import ModelArtifact


@pytest.fixture(scope="module")
def digits(digits_model_dir):
  """The trained digits CNN, its test pixels and labels, and Keras' logits on them."""
  artifact = ModelArtifact.load(digits_model_dir)
  model = artifact.load_model()
  pixels, labels = data_lib.load_dataset(artifact.config.data).split_arrays("test")
  return artifact, model, pixels, labels, model(pixels).numpy()


def _tflite(model, mode: str, pixels: np.ndarray, folder) -> str:
  """Converts `model` in `mode` (in this process) and returns the file."""
  spec = tf.TensorSpec((1, *model.image_shape), tf.float32, name="pixels")
  write_conversion_saved_model(lambda x: model(x, training=False), spec, str(folder / "saved_model"))
  np.save(folder / "representative.npy", pixels[:50].astype(np.float32))
  path = folder / f"{mode}.tflite"
  path.write_bytes(convert(str(folder / "saved_model"), mode, "image", str(folder / "representative.npy")))
  return str(path)


def _damaged(model, change):
  """A copy of `model` whose weights are `change(list of weights)`."""
  copy = type(model).from_config(model.get_config())
  copy.set_weights(change([w.copy() for w in model.get_weights()]))
  return copy


def test_logit_figures():
  reference = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.5]])
  figures = logit_figures(reference + [[0.0, 0.5], [0.0, 0.0], [0.0, 1.0]], reference, np.array([0, 1, 1]))
  assert figures == {"num_examples": 3, "max_abs_logit_error": 1.0, "mean_abs_logit_error": 0.25,
                     "top1_agreement": pytest.approx(2 / 3), "accuracy": 1.0,
                     "reference_accuracy": pytest.approx(2 / 3)}
  np.testing.assert_allclose(per_example_errors(reference + 0.5, reference), [0.5, 0.5, 0.5])


def test_a_faithful_float32_file_passes(digits, tmp_path):
  _, model, pixels, labels, reference = digits
  runner = GateRunner(_tflite(model, "float32", pixels, tmp_path))
  assert runner.input.dtype == "float32" and not runner.output.quantized
  figures = logit_figures(runner.logits(pixels.astype(np.float32)), reference, labels)
  assert figures["max_abs_logit_error"] < 1e-4 and figures["top1_agreement"] == 1.0
  assert VerificationGates().for_kind("image").check("float32", figures) == []
  assert runner.seconds_per_example > 0


def test_the_time_per_example_is_the_mean_over_every_chunk(digits, tmp_path, monkeypatch):
  _, model, pixels, _, _ = digits
  runner = GateRunner(_tflite(model, "float32", pixels, tmp_path))
  # A clock that advances one second per reading: each call of `logits` takes one second.
  monkeypatch.setattr(tflite_runner, "time", types.SimpleNamespace(perf_counter=itertools.count().__next__))
  assert runner.seconds_per_example == 0.0
  runner.logits(pixels[:10].astype(np.float32))
  runner.logits(pixels[10:40].astype(np.float32))
  assert runner.seconds_per_example == pytest.approx(2 / 40)


def test_perturbed_weights_fail_on_the_logit_error(digits, tmp_path):
  _, model, pixels, labels, reference = digits
  rng = np.random.default_rng(0)
  damaged = _damaged(model, lambda weights: [w + rng.normal(0, 0.02, w.shape).astype(w.dtype) for w in weights])
  figures = logit_figures(GateRunner(_tflite(damaged, "float32", pixels, tmp_path)).logits(
      pixels.astype(np.float32)), reference, labels)
  failures = VerificationGates().for_kind("image").check("float32", figures)
  assert any(failure.startswith("max_abs_logit_error ") for failure in failures), failures


def test_a_wrong_label_order_fails_on_agreement_and_accuracy(digits, tmp_path):
  _, model, pixels, labels, reference = digits

  def swap_first_two_classes(weights):
    weights[-2][:, [0, 1]] = weights[-2][:, [1, 0]]  # output kernel columns: logits 0 and 1 trade places
    weights[-1][[0, 1]] = weights[-1][[1, 0]]
    return weights

  runner = GateRunner(_tflite(_damaged(model, swap_first_two_classes), "full_int8", pixels, tmp_path))
  assert runner.input.dtype == "uint8" and (runner.input.scale, runner.input.zero_point) == (1.0, 0)
  assert runner.output.dtype == "int8" and runner.output.quantized
  figures = {**logit_figures(runner.logits(pixels.astype(np.float32)), reference, labels), "size_bytes": 1}
  failures = VerificationGates().for_kind("image").check("full_int8", figures, float32_size=100)
  assert [failure.split()[0] for failure in failures] == ["top1_agreement", "accuracy_drop"]


def test_serving_outputs_with_a_wrong_label_order_fail_on_classes(digits, tmp_path):
  artifact, model, pixels, _, _ = digits
  wrong = tuple(reversed(artifact.label_names))
  write_serving_saved_model(model, str(tmp_path / "saved_model"), kind="image", feature_shape=artifact.feature_shape,
                            label_names=wrong)
  outputs = run_signature(tf.saved_model.load(str(tmp_path / "saved_model")).signatures["serving_default"],
                          "pixels", pixels[:100])
  assert output_failures(outputs, wrong) == []
  failures = output_failures(outputs, artifact.label_names)
  assert len(failures) == 1 and failures[0].startswith("classes: ")
  assert output_failures({**outputs, "class_ids": outputs["class_ids"].astype(np.int32)}, wrong) == [
      "class_ids dtype int32 != int64"]
