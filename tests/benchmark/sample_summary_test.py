"""Tests of benchmark/sample_summary.py."""

import pytest

from benchmark.sample_summary import SampleSummary


def test_of_gives_median_p90_and_range():
  summary = SampleSummary.of([5.0, 1.0, 4.0, 2.0, 3.0])
  assert (summary.median, summary.minimum, summary.maximum, summary.count) == (3.0, 1.0, 5.0, 5)
  assert summary.p90 == pytest.approx(4.6)  # linear interpolation between 4 and 5


def test_of_refuses_no_samples():
  with pytest.raises(ValueError, match="No samples"):
    SampleSummary.of([])


def test_ratios_pair_runs_in_order():
  summary = SampleSummary.of_ratios([2.0, 3.0, 8.0], [1.0, 3.0, 4.0])  # 2, 1, 2
  assert (summary.median, summary.minimum, summary.maximum) == (2.0, 1.0, 2.0)
  with pytest.raises(ValueError, match="differ in number"):
    SampleSummary.of_ratios([1.0], [1.0, 2.0])


def test_scaled_and_to_dict():
  summary = SampleSummary.of([0.001, 0.002, 0.003]).scaled(1000)
  assert summary.median == pytest.approx(2.0)
  assert summary.to_dict() == {"median": 2.0, "p90": 2.8, "min": 1.0, "max": 3.0, "count": 3}
