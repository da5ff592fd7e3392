"""Tests of benchmark/miss_causes.py: causes are written from the measured numbers."""

from benchmark import miss_causes
from benchmark.figure import Figure
from benchmark.sample_summary import SampleSummary
from tests.benchmark import synthetic_results


def test_no_cause_for_a_met_goal():
  figure = Figure.measured("edge_cold_start_s", SampleSummary.of([0.3]), "timed")
  assert miss_causes.cause("edge_cold_start_s", figure, synthetic_results.details()) is None


def test_cold_start_is_split_into_python_imports_and_the_rest():
  details = synthetic_results.details()
  details["cold_start"]["seconds"]["cnn_edge"] = [0.8] * 5
  figure = Figure.measured("edge_cold_start_s", SampleSummary.of([0.8]), "timed")
  text = miss_causes.cause("edge_cold_start_s", figure, details)
  assert "starts in 0.02 s" in text and "0.18 s more" in text and "remaining 0.60 s" in text
  assert text.endswith("TensorFlow imported: no.")


def test_size_names_the_bytes_that_do_not_shrink():
  figure = Figure(key="int8_over_float32_size", value=0.3, minimum=0.25, maximum=0.3, samples=2,
                  evidence={"ratios": {"cnn/full_int8": 0.3, "lstm/full_int8": 0.25}})
  text = miss_causes.cause("int8_over_float32_size", figure, synthetic_results.details())
  assert "the cnn in full_int8, 432,016 of 1,690,004 bytes" in text and "421,642 parameters" in text
  assert "10,374 bytes" in text  # 432,016 - 421,642


def test_a_spread_across_the_goal_is_called_noise():
  details = synthetic_results.details()
  figure = Figure.measured("train_vs_plain_keras", SampleSummary.of([0.90, 0.96, 0.99]), "alternating")
  text = miss_causes.cause("train_vs_plain_keras", figure, details)
  assert "Project loop 4,000 vs Keras `fit` 4,000" in text and "noise" in text
