"""One exported artifact's entry in the export report: what it is, where it went, what was measured, whether it passed."""

from __future__ import annotations

import dataclasses
from typing import Any

SAVED_MODEL, TFLITE = "saved_model", "tflite"


def artifact_label(format_: str, mode: str, signature: str | None = None) -> str:
  """A short name of an artifact: `SavedModel serving_bytes`, `tflite full_int8`."""
  return f"SavedModel {signature}" if format_ == SAVED_MODEL else f"tflite {mode}"


@dataclasses.dataclass
class ArtifactResult:
  """A SavedModel signature or a `.tflite` file, as the export measured it.

  `report.json` holds it flat (`to_dict`): the fields below, then every value of `values` under its own key.

  Attributes:
    format: `saved_model` (one entry per serving signature) or `tflite` (one per mode).
    mode: the TFLite mode (`float32` for a SavedModel).
    signature: the serving signature (SavedModel entries only).
    path: where the artifact was published; None when nothing was.
    passed: whether every gate passed.
    failures: what failed, one line each.
    values: every other figure and detail (accuracy, logit errors, size, the file's operators, ...), keyed as in
      `report.json`.
  """

  format: str
  mode: str
  signature: str | None = None
  path: str | None = None
  passed: bool = False
  failures: list[str] = dataclasses.field(default_factory=list)
  values: dict[str, Any] = dataclasses.field(default_factory=dict)

  @classmethod
  def saved_model(cls, signature: str, **values) -> "ArtifactResult":
    return cls(format=SAVED_MODEL, mode="float32", signature=signature, values=values)

  @classmethod
  def tflite(cls, mode: str, **values) -> "ArtifactResult":
    return cls(format=TFLITE, mode=mode, values=values)

  @property
  def label(self) -> str:
    return artifact_label(self.format, self.mode, self.signature)

  def record(self, **values) -> "ArtifactResult":
    """Adds measured values (figures and details); returns the result."""
    self.values.update(values)
    return self

  def gated(self, failures: list[str]) -> "ArtifactResult":
    """Sets the gates' verdict: passed exactly when there is no failure."""
    self.failures = list(failures)
    self.passed = not self.failures
    return self

  def fail(self, failure: str) -> "ArtifactResult":
    """Adds a failure (the artifact no longer passes); returns the result."""
    self.failures.append(failure)
    self.passed = False
    return self

  def to_dict(self, figure_names: tuple[str, ...] = ()) -> dict[str, Any]:
    """The entry of `report.json`: every name of `figure_names` is present, None when it was not measured."""
    entry = {name: None for name in figure_names}
    entry.update(self.values)
    entry.update(format=self.format, mode=self.mode, path=self.path, passed=self.passed, failures=list(self.failures))
    if self.format == SAVED_MODEL:
      entry["signature"] = self.signature
    return entry
