"""Tests of benchmark/figure.py."""

from benchmark.figure import Figure
from benchmark.sample_summary import SampleSummary


def test_measured_figure_passes_or_misses_its_goal():
  passing = Figure.measured("edge_cold_start_s", SampleSummary.of([0.3, 0.4, 0.35]), "timed")
  missing = Figure.measured("edge_cold_start_s", SampleSummary.of([0.6, 0.7, 0.65]), "timed")
  assert passing.passed is True and missing.passed is False
  assert (missing.value, missing.minimum, missing.maximum, missing.samples) == (0.65, 0.6, 0.7, 3)


def test_cause_is_kept_only_for_a_miss():
  passing = Figure.measured("edge_cold_start_s", SampleSummary.of([0.3]), "timed").with_cause("slow imports")
  missing = Figure.measured("edge_cold_start_s", SampleSummary.of([0.9]), "timed").with_cause("slow imports")
  assert passing.cause is None and missing.cause == "slow imports"


def test_skipped_and_reference_figures_have_no_verdict():
  skipped = Figure.skip("train_vs_torch_seed", "PyTorch is not installed")
  reference = Figure.measured("tf_cold_start_s", SampleSummary.of([4.0]), "timed")
  assert skipped.passed is None and skipped.to_dict()["skipped"] == "PyTorch is not installed"
  assert reference.passed is None and reference.to_dict()["goal"] is None


def test_to_dict_has_every_key():
  entry = Figure.measured("train_vs_plain_keras", SampleSummary.of([0.99, 1.01]), "alternating").to_dict()
  assert set(entry) == {"value", "min", "max", "samples", "unit", "title", "goal", "passed", "skipped", "method",
                        "cause", "evidence"}
  assert entry["goal"] == {"comparison": ">=", "threshold": 0.97} and entry["passed"] is True
