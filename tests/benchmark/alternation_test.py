"""Tests of benchmark/alternation.py."""

import pytest

from benchmark.alternation import run_alternating


def test_commands_alternate_and_warmups_are_dropped():
  calls = []

  def command(name):
    def run():
      calls.append(name)
      return len(calls)
    return run

  results = run_alternating({"a": command("a"), "b": command("b")}, rounds=2, warmup_rounds=1)
  assert calls == ["a", "b", "a", "b", "a", "b"]
  assert results == {"a": [3, 5], "b": [4, 6]}


def test_at_least_one_round():
  with pytest.raises(ValueError, match="rounds"):
    run_alternating({"a": lambda: 1}, rounds=0)
