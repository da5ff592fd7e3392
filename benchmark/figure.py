"""One measured figure with its spread, its goal and, where it misses the goal, the measured cause."""

from __future__ import annotations

import dataclasses

from benchmark.goal import Goal, goal_for
from benchmark.sample_summary import SampleSummary


@dataclasses.dataclass(frozen=True)
class Figure:
  """A published figure.

  Attributes:
    key: the key in the results JSON (one of `GOAL_KEYS`).
    value: the median (of paired ratios, for a ratio of two alternating commands); None when skipped.
    minimum: the smallest sample (ratio of one pair of runs, or one run).
    maximum: the largest sample.
    samples: how many samples the median is taken over.
    method: what was measured, and how.
    skipped: why the figure was not measured (None when it was).
    cause: why the goal is missed, from the evidence the benchmark measured (None when it is met).
    evidence: the measurements behind `cause` (and other supporting numbers).
  """

  key: str
  value: float | None
  minimum: float | None = None
  maximum: float | None = None
  samples: int = 0
  method: str = ""
  skipped: str | None = None
  cause: str | None = None
  evidence: dict = dataclasses.field(default_factory=dict)

  @classmethod
  def measured(cls, key: str, summary: SampleSummary, method: str, evidence: dict | None = None) -> "Figure":
    """A figure from its samples' summary."""
    return cls(key=key, value=summary.median, minimum=summary.minimum, maximum=summary.maximum,
               samples=summary.count, method=method, evidence=dict(evidence or {}))

  @classmethod
  def skip(cls, key: str, reason: str, method: str = "") -> "Figure":
    """A figure that could not be measured here, with the reason."""
    return cls(key=key, value=None, method=method, skipped=reason)

  @property
  def goal(self) -> Goal:
    return goal_for(self.key)

  @property
  def passed(self) -> bool | None:
    """Whether the goal is met; None when there is no goal or the figure was skipped."""
    return None if self.value is None else self.goal.passed(self.value)

  def with_cause(self, cause: str | None) -> "Figure":
    """The same figure with the cause of a miss written beside it (ignored when the goal is met)."""
    return dataclasses.replace(self, cause=cause if self.passed is False else None)

  def to_dict(self) -> dict:
    goal = self.goal
    return {"value": _round(self.value), "min": _round(self.minimum), "max": _round(self.maximum),
            "samples": self.samples, "unit": goal.unit, "title": goal.title,
            "goal": {"comparison": goal.comparison, "threshold": goal.threshold} if goal.comparison else None,
            "passed": self.passed, "skipped": self.skipped, "method": self.method, "cause": self.cause,
            "evidence": self.evidence}


def _round(value: float | None) -> float | None:
  return None if value is None else float(f"{value:.4g}")
