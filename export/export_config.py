"""What one export is asked to do: the settings `tools/export.py` reads from its flags, in one typed value."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from export.serving import serving_repository
from export import verification_set
from export.export_error import ExportError
from export.tflite.lstm_graph import LSTM_GRAPHS
from export.tflite.tflite_modes import DEFAULT_MODE_NAMES, TfliteMode, parse_modes
from export.verification_gates import VerificationGates


@dataclasses.dataclass(frozen=True)
class ExportConfig:
  """The settings of one export (checked on construction; `report.json` records them as `config`).

  Attributes:
    modes: TFLite modes to produce (names, or one comma-separated string); default: the four of `DEFAULT_MODES` (`int16x8` is asked for).
    calibration_samples: training examples the `full_int8` converter calibrates on.
    version: serving version to write; default: 1 + the largest existing one.
    overwrite: replace an existing serving version.
    keep: once the new version is published, keep only this many newest versions (labelled ones are kept too).
    labels: {label: version} to set in `models.config` (e.g. {"canary": 4}); the version may be the one exported.
    remove_labels: labels to drop from `models.config`.
    serving_base_path: where the server sees `OUT/serving` (default: as in `models.config`, else `/models`).
    max_examples: verify on the first this many test examples only (default: the whole test split).
    dataset: the data set to verify and calibrate on instead of the training one (e.g. the training folder moved
      elsewhere); it must have the model's labels.
    gates: verification thresholds (the defaults of the model's kind where a field is not set).
    lstm_graph: how an LSTM classifier goes into TFLite: `fused` (TFLite's LSTM op) or `unrolled` (one set of ops
      per step).
    num_threads: LiteRT threads when running the `.tflite` files.
    chunk_size: test examples read, preprocessed and run at a time; memory grows with it, not with the test split.
  """

  modes: tuple[TfliteMode, ...] = tuple(parse_modes(DEFAULT_MODE_NAMES))
  calibration_samples: int = 200
  version: int | None = None
  overwrite: bool = False
  keep: int | None = None
  labels: Mapping[str, int] = dataclasses.field(default_factory=dict)
  remove_labels: tuple[str, ...] = ()
  serving_base_path: str | None = None
  max_examples: int | None = None
  dataset: str = ""
  gates: VerificationGates = VerificationGates()
  lstm_graph: str = "fused"
  num_threads: int = 1
  chunk_size: int = verification_set.CHUNK_SIZE

  def __post_init__(self):
    modes = self.modes
    if isinstance(modes, str) or any(not isinstance(mode, TfliteMode) for mode in modes):
      object.__setattr__(self, "modes", tuple(parse_modes(modes)))
    object.__setattr__(self, "labels", dict(self.labels or {}))
    object.__setattr__(self, "remove_labels", tuple(self.remove_labels))
    if self.calibration_samples < 1:
      raise ExportError(f"--calibration_samples={self.calibration_samples}: give at least 1 (default 200).")
    if self.max_examples is not None and self.max_examples < 1:
      raise ExportError(f"--max_examples={self.max_examples}: give at least 1, or leave it out to verify on the "
                        "whole test split.")
    if self.chunk_size < 1:
      raise ExportError(f"chunk_size={self.chunk_size}: give at least 1 (default {verification_set.CHUNK_SIZE}).")
    serving_repository.check_options(self.keep, self.serving_base_path)
    if self.lstm_graph not in LSTM_GRAPHS:
      raise ExportError(f"Unknown --lstm_graph={self.lstm_graph}: use one of {', '.join(LSTM_GRAPHS)}.")

  def to_dict(self) -> dict[str, Any]:
    """What `report.json` records (modes by name, the gates as given)."""
    values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
    values.update(modes=[mode.name for mode in self.modes], gates=self.gates.to_dict(),
                  labels=dict(self.labels), remove_labels=list(self.remove_labels))
    return values
