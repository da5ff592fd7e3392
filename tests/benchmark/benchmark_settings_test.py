"""Tests of benchmark/benchmark_settings.py."""

import pytest

from benchmark.benchmark_settings import BenchmarkSettings


def test_quick_measures_less_than_full_but_still_alternates_five_times():
  quick, full = BenchmarkSettings.quick_run(), BenchmarkSettings.full()
  assert quick.quick and not full.quick
  assert quick.repeats >= 5 and full.repeats >= quick.repeats
  for field in ("cnn_steps", "text_steps", "latency_calls", "eval_examples", "cold_start_rounds"):
    assert getattr(quick, field) < getattr(full, field), field
  assert quick.text_steps % 16 == 0 and full.text_steps % 16 == 0


def test_overrides_are_applied_and_checked():
  settings = BenchmarkSettings.full().with_overrides(repeats=7, threads=(2, 1, 2), architectures=("lstm",))
  assert (settings.repeats, settings.threads, settings.architectures) == (7, (1, 2), ("lstm",))
  assert settings.cold_start_architectures == ("lstm",) and settings.training_threads == 2
  with pytest.raises(ValueError, match="Unknown architecture"):
    BenchmarkSettings.full().with_overrides(architectures=("gru",))
  with pytest.raises(ValueError, match=">= 1"):
    BenchmarkSettings.full().with_overrides(threads=(0,))
