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
      "cnn_int8_over_float32_latency": True, "lstm_int8_over_float32_latency": False,
      "transformer_int8_over_float32_latency": True, "int8_over_float32_size": True,
      "float16_over_float32_size": True, "full_int8_integer_only": False, "edge_cold_start_s": True, "tf_cold_start_s": None,
      "export_verify_s": False}


def test_ratios_are_medians_of_paired_runs(suite):
  figures = suite.figures(synthetic_results.details())
  keras = figures["train_vs_plain_keras"]
  assert keras.value == pytest.approx(3950 / 4000)  # ratios .976 1.025 .975 .988 .988 -> median .9875
  assert (keras.minimum, keras.maximum, keras.samples) == (pytest.approx(3900 / 4000), pytest.approx(4100 / 4000), 5)
  assert figures["cnn_int8_over_float32_latency"].value == pytest.approx(0.25)
  assert figures["int8_over_float32_size"].value == pytest.approx(1_300_000 / 5_060_000)  # the largest ratio
  assert figures["edge_cold_start_s"].value == pytest.approx(0.31)


def test_missed_goals_carry_their_measured_cause(suite):
  figures = suite.figures(synthetic_results.details())
  assert all(figure.cause is None for figure in figures.values() if figure.passed is not False)
  lstm = figures["lstm_int8_over_float32_latency"].cause
  assert "full_int8 2.500 ms, float32 0.500 ms" in lstm and "UNIDIRECTIONAL_SEQUENCE_LSTM" in lstm
  assert "fused" in lstm
  pipeline = figures["pipeline_efficiency"].cause
  assert "0.31 s" in pipeline and "2,048 texts" in pipeline and "second epoch" in pipeline
  integer = figures["full_int8_integer_only"]
  assert integer.value == pytest.approx(2 / 3)
  assert integer.cause == "The lstm's full_int8 file computes in float at CAST x2, QUANTIZE."
  export = figures["export_verify_s"].cause
  assert "conversion 50.0 s" in export and "12.0 s" in export  # 70 s of the command, 58 s inside the exporter


def test_without_torch_the_figure_is_skipped_with_a_note(suite):
  figure = suite.figures(synthetic_results.details(torch=False))["train_vs_torch_seed"]
  assert figure.value is None and figure.passed is None
  assert "requirements-benchmark.txt" in figure.skipped


def test_model_dirs_must_name_measured_architectures():
  settings = BenchmarkSettings.quick_run().with_overrides(architectures=("cnn",))
  with pytest.raises(BenchmarkError, match="lstm"):
    BenchmarkSuite(settings, model_dirs={"lstm": "runs/rt_lstm"}, markdown_path=None)
