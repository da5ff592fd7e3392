"""Runs compared commands in alternation (A B C, A B C, ...), so that a shared machine's changing load falls on all
of them alike."""

from __future__ import annotations

from collections.abc import Callable


def run_alternating(commands: dict[str, Callable[[], object]], rounds: int,
                    warmup_rounds: int = 0) -> dict[str, list]:
  """Calls every command once per round, in the given order; returns each command's results, one per timed round.

  Args:
    commands: name -> a function that runs the command once and returns its measurement.
    rounds: timed rounds.
    warmup_rounds: untimed rounds first (their results are dropped).
  """
  if rounds < 1:
    raise ValueError(f"rounds must be >= 1, got {rounds}.")
  results: dict[str, list] = {name: [] for name in commands}
  for round_index in range(warmup_rounds + rounds):
    for name, command in commands.items():
      value = command()
      if round_index >= warmup_rounds:
        results[name].append(value)
  return results
