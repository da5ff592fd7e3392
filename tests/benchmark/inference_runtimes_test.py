"""Tests of benchmark/inference_runtimes.py and benchmark/cold_start.py on a digits CNN exported in every mode."""

import os

import pytest

from benchmark import cold_start
from benchmark.inference_runtimes import InferenceRuntimes
from export.exporter import Exporter
from tests.export.conftest import trained_model_dir

pytestmark = pytest.mark.slow  # trains and exports a model (half a minute on 2 cores)

_MODES = ("float32", "float16", "dynamic_int8", "full_int8")


@pytest.fixture(scope="module", name="exported")
def _exported(tmp_path_factory):
  model_dir = trained_model_dir(tmp_path_factory.getbasetemp(), "cnn")
  export_dir = str(tmp_path_factory.mktemp("benchmark_export"))
  report = Exporter(model_dir, export_dir, max_examples=64, calibration_samples=16, log=lambda line: None).run()
  saved_model = next(a["path"] for a in report["artifacts"] if a["format"] == "saved_model")
  tflite = {a["mode"]: a["path"] for a in report["artifacts"] if a["format"] == "tflite"}
  return {"model_dir": model_dir, "saved_model": saved_model, "tflite": tflite}


@pytest.fixture(scope="module", name="runtimes")
def _runtimes(exported):
  return InferenceRuntimes({"cnn": exported}, threads=1, examples=40, warmup_calls=1)


def test_every_runtime_is_loaded_and_timed_at_batch_1(runtimes):
  assert runtimes.info["runtimes"]["cnn"] == ["keras_predict", "tf_function", "saved_model",
                                              *(f"litert_{mode}" for mode in _MODES)]
  for runtime in runtimes.info["runtimes"]["cnn"]:
    seconds = runtimes.latency("cnn", runtime, count=3)
    assert len(seconds) == 3 and all(value > 0 for value in seconds)


def test_accuracy_is_the_same_model_everywhere(runtimes):
  accuracies = {runtime: runtimes.accuracy("cnn", runtime) for runtime in runtimes.info["runtimes"]["cnn"]}
  assert accuracies["keras_predict"] == accuracies["tf_function"] == accuracies["saved_model"]
  assert accuracies["litert_float32"] == accuracies["tf_function"]
  assert all(0.0 <= value <= 1.0 for value in accuracies.values())


def test_throughput_where_the_artifact_can_batch(runtimes):
  batched = runtimes.throughput("cnn", "tf_function", batch_size=32, batches=2)
  assert batched["supported"] and batched["examples_per_second"] > 0
  # The CNN's files take any batch size (the fused LSTM's and the Transformer's keep batch 1: exporter_test.py).
  litert = runtimes.throughput("cnn", "litert_float32", batch_size=32, batches=2)
  assert litert["supported"] and litert["examples_per_second"] > 0


def test_delegation_evidence_per_mode(runtimes):
  delegation = runtimes.delegation("cnn", count=5, rounds=2)
  assert tuple(delegation) == _MODES
  for entry in delegation.values():
    assert entry["seconds"]["xnnpack"] > 0 and entry["seconds"]["builtin_kernels"] > 0
    assert sum(entry["operators"].values()) == (sum(entry["delegated"].values()) +
                                                sum(entry["undelegated"].values()))
  assert delegation["full_int8"]["undelegated"] == {"QUANTIZE": 1}  # uint8 pixels in, outside XNNPACK


def test_cold_starts_of_the_edge_runtime_and_tensorflow(runtimes, exported, tmp_path):
  sample = runtimes.sample("cnn", str(tmp_path / "digit.png"))
  assert sample == {"image": str(tmp_path / "digit.png")} and os.path.getsize(sample["image"]) > 0
  edge = cold_start.edge_command(exported["tflite"]["full_int8"], sample)
  assert not cold_start.imports_tensorflow(edge)
  assert cold_start.time_to_first_line(edge) > 0
  assert cold_start.imports_tensorflow(cold_start.tensorflow_command(exported["saved_model"], sample))
  assert cold_start.time_to_first_line(cold_start.tensorflow_command(exported["saved_model"], sample)) > 0
