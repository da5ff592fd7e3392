"""Median, 90th percentile and range of repeated measurements."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class SampleSummary:
  """What a figure reports of its samples.

  Attributes:
    median: the median sample.
    p90: the 90th percentile (linear interpolation between the nearest samples).
    minimum: the smallest sample.
    maximum: the largest sample.
    count: the number of samples.
  """

  median: float
  p90: float
  minimum: float
  maximum: float
  count: int

  @classmethod
  def of(cls, samples: Sequence[float]) -> "SampleSummary":
    """Summarizes `samples`; raises `ValueError` when there are none."""
    values = np.asarray(samples, np.float64).reshape(-1)
    if not values.size:
      raise ValueError("No samples to summarize.")
    return cls(median=float(np.median(values)), p90=float(np.percentile(values, 90)), minimum=float(values.min()),
               maximum=float(values.max()), count=int(values.size))

  @classmethod
  def of_ratios(cls, numerators: Sequence[float], denominators: Sequence[float]) -> "SampleSummary":
    """Summarizes the ratios of paired samples (run i of A over run i of B, taken back to back).

    Pairing the runs of alternating commands cancels most of the drift of a shared machine's load.
    """
    if len(numerators) != len(denominators):
      raise ValueError(f"Paired samples differ in number: {len(numerators)} and {len(denominators)}.")
    return cls.of(np.asarray(numerators, np.float64) / np.asarray(denominators, np.float64))

  def scaled(self, factor: float) -> "SampleSummary":
    """The same summary in another unit (e.g. seconds to milliseconds)."""
    return SampleSummary(median=self.median * factor, p90=self.p90 * factor, minimum=self.minimum * factor,
                         maximum=self.maximum * factor, count=self.count)

  def to_dict(self, digits: int = 6) -> dict:
    """The summary as JSON-ready numbers, rounded to `digits` significant digits."""
    return {"median": _round(self.median, digits), "p90": _round(self.p90, digits),
            "min": _round(self.minimum, digits), "max": _round(self.maximum, digits), "count": self.count}


def _round(value: float, digits: int) -> float:
  return float(f"{value:.{digits}g}")
