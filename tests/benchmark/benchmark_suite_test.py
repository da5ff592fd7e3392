"""Tests of benchmark/benchmark_suite.py: figures and their causes from measured details (the measuring itself is
covered by the tests of the worker tasks)."""

import pytest

from benchmark.benchmark_error import BenchmarkError
from benchmark.benchmark_settings import BenchmarkSettings
from benchmark.benchmark_suite import BenchmarkSuite
from benchmark.goal import GOAL_KEYS
from tests.benchmark import synthetic_results


@pytest.fixture(name="suite")
def _suite(tmp_path):
  return BenchmarkSuite(BenchmarkSettings.quick_run(), output_dir=str(tmp_path), markdown_path=None,
                        log=lambda line: None)


def test_every_figure_is_computed_in_goal_order(suite):
  figures = suite.figures(synthetic_results.details())
  assert tuple(figures) == GOAL_KEYS
  verdicts = {key: figure.passed for key, figure in figures.items()}
  assert verdicts == {
      "train_vs_plain_keras": True, "pipeline_efficiency": False, "train_vs_torch_seed": True,
      "cnn_best_cpu_mode_over_float32_latency": True, "lstm_best_cpu_mode_over_float32_latency": False,
      "transformer_best_cpu_mode_over_float32_latency": True, "transformer_xnnpack_partitions_float32": True,
      "litert_batch32_over_batch1_throughput": False, "tflm_arena_kib": None,
      "cnn_int8_over_float32_latency": None, "lstm_int8_over_float32_latency": None,
      "transformer_int8_over_float32_latency": None, "int8_over_float32_size": True,
      "float16_over_float32_size": True, "full_int8_integer_only": False, "edge_cold_start_s": True, "tf_cold_start_s": None,
      "export_verify_s": False}


def test_ratios_are_medians_of_paired_runs(suite):
  figures = suite.figures(synthetic_results.details())
  keras = figures["train_vs_plain_keras"]
  assert keras.value == pytest.approx(3950 / 4000)  # ratios .976 1.025 .975 .988 .988 -> median .9875
  assert (keras.minimum, keras.maximum, keras.samples) == (pytest.approx(3900 / 4000), pytest.approx(4100 / 4000), 5)
  assert figures["cnn_int8_over_float32_latency"].value == pytest.approx(0.25)
  # The fastest file that passed: full_int8 for the CNN, dynamic_int8 for the LSTM (its full_int8 is 5x float32).
  assert figures["cnn_best_cpu_mode_over_float32_latency"].evidence["mode"] == "full_int8"
  assert figures["lstm_best_cpu_mode_over_float32_latency"].value == pytest.approx(0.9)
  assert figures["litert_batch32_over_batch1_throughput"].value == pytest.approx(1.2)
  assert figures["tflm_arena_kib"].value == pytest.approx(9.0)
  assert figures["int8_over_float32_size"].value == pytest.approx(1_300_000 / 5_060_000)  # the largest ratio
  assert figures["edge_cold_start_s"].value == pytest.approx(0.31)


def test_missed_goals_carry_their_measured_cause(suite):
  figures = suite.figures(synthetic_results.details())
  assert all(figure.cause is None for figure in figures.values() if figure.passed is not False)
  lstm = figures["lstm_best_cpu_mode_over_float32_latency"].cause
  assert "dynamic_int8 0.450 ms against float32 0.500 ms" in lstm and "UNIDIRECTIONAL_SEQUENCE_LSTM" in lstm
  assert "no LSTM kernel" in lstm and "full_int8 2.500" in lstm
  batched = figures["litert_batch32_over_batch1_throughput"].cause
  assert "LiteRT full_int8" in batched and "batch-1 call takes 0.0200 ms" in batched
  assert "0.0167 ms per example" in batched  # 0.02 ms / 1.2
  pipeline = figures["pipeline_efficiency"].cause
  assert "0.31 s" in pipeline and "2,048 texts" in pipeline and "second epoch" in pipeline
  integer = figures["full_int8_integer_only"]
  assert integer.value == pytest.approx(2 / 3)
  assert integer.cause == "The lstm's full_int8 file computes in float at CAST x2, QUANTIZE."
  export = figures["export_verify_s"].cause
  assert "conversion 50.0 s" in export and "12.0 s" in export  # 70 s of the command, 58 s inside the exporter


def test_the_cpu_figure_takes_the_fastest_file_that_passed_its_gates(suite):
  details = synthetic_results.details()
  details["models"]["cnn"]["passed_modes"].remove("full_int8")
  figures = suite.figures(details)
  best = figures["cnn_best_cpu_mode_over_float32_latency"]
  assert best.evidence["mode"] == "dynamic_int8" and best.value == pytest.approx(0.3)
  assert figures["litert_batch32_over_batch1_throughput"].evidence["mode"] == "dynamic_int8"


def test_without_torch_the_figure_is_skipped_with_a_note(suite):
  figure = suite.figures(synthetic_results.details(torch=False))["train_vs_torch_seed"]
  assert figure.value is None and figure.passed is None
  assert "requirements-benchmark.txt" in figure.skipped


def test_model_dirs_must_name_measured_architectures():
  settings = BenchmarkSettings.quick_run().with_overrides(architectures=("cnn",))
  with pytest.raises(BenchmarkError, match="lstm"):
    BenchmarkSuite(settings, model_dirs={"lstm": "runs/rt_lstm"}, markdown_path=None)
