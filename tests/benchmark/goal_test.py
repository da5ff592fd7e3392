"""Tests of benchmark/goal.py."""

import pytest

from benchmark.goal import GOAL_KEYS, Goal, goal_for

# The figures the benchmark issues ask for, each with its goal. The full_int8 CPU latencies became figures of the
# NPU/MCU artifact, shown without a goal, when the fastest passing mode became the CPU's file.
_ISSUE_GOALS = {
    "train_vs_plain_keras": (">=", 0.97), "pipeline_efficiency": (">=", 0.95), "train_vs_torch_seed": (">=", 1.8),
    "cnn_best_cpu_mode_over_float32_latency": ("<=", 0.30), "lstm_best_cpu_mode_over_float32_latency": ("<=", 0.60),
    "transformer_best_cpu_mode_over_float32_latency": ("<=", 0.60),
    "transformer_xnnpack_partitions_float32": ("<=", 1), "litert_batch32_over_batch1_throughput": (">=", 3.0),
    "tflm_arena_kib": ("", None),
    "cnn_int8_over_float32_latency": ("", None), "lstm_int8_over_float32_latency": ("", None),
    "transformer_int8_over_float32_latency": ("", None), "int8_over_float32_size": ("<=", 0.26),
    "float16_over_float32_size": ("<=", 0.51), "full_int8_integer_only": (">=", 1.0), "edge_cold_start_s": ("<=", 0.5),
    "tf_cold_start_s": ("", None), "export_verify_s": ("<=", 60.0),
}


def test_every_figure_of_the_issue_has_its_goal():
  assert set(GOAL_KEYS) == set(_ISSUE_GOALS)
  for key, (comparison, threshold) in _ISSUE_GOALS.items():
    assert (goal_for(key).comparison, goal_for(key).threshold) == (comparison, threshold)


def test_passed_and_describe():
  at_least = Goal("a", "a", "x", ">=", 0.97)
  at_most = Goal("b", "b", "s", "<=", 0.5)
  assert at_least.passed(0.97) and not at_least.passed(0.969)
  assert at_most.passed(0.5) and not at_most.passed(0.51)
  assert Goal("c", "c", "s").passed(10.0) is None
  assert (at_least.describe(), at_most.describe(), Goal("c", "c", "s").describe()) == ("≥ 0.97", "≤ 0.5 s", "—")


def test_bad_goals_are_refused():
  with pytest.raises(ValueError, match="comparison"):
    Goal("a", "a", "x", ">", 1.0)
  with pytest.raises(ValueError, match="threshold"):
    Goal("a", "a", "x", ">=")
  with pytest.raises(KeyError, match="Unknown figure"):
    goal_for("speed")
