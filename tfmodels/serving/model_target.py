"""Which model, and which of its versions, a request goes to."""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

from tfmodels.serving import serving_error
from tfmodels.serving.serving_error import ServingError

_LABEL = re.compile(r"[A-Za-z0-9_]+")


@dataclasses.dataclass(frozen=True)
class ModelTarget:
  """A model served by TF Serving, and one of its versions.

  Attributes:
    name: the model's name in `models.config`, e.g. `digits_cnn`.
    version: a version number; None for the newest loaded version (or the one `label` names).
    label: a version label from `models.config`, e.g. `stable`; at most one of `version` and `label`.
  """

  name: str
  version: int | None = None
  label: str | None = None

  def __post_init__(self):
    if not self.name:
      raise ServingError("No model name: give the model's name in models.config, e.g. --model=digits_cnn.",
                         serving_error.INVALID)
    if self.version is not None and self.label is not None:
      raise ServingError(f"Both version {self.version} and label {self.label} given: a request names one of them "
                         "(or neither, for the newest version).", serving_error.INVALID)
    if self.version is not None and self.version < 1:
      raise ServingError(f"Version {self.version}: TF Serving versions are integers >= 1.", serving_error.INVALID)
    if self.label is not None and not _LABEL.fullmatch(self.label):
      raise ServingError(f"Label {self.label!r}: TF Serving labels are letters, digits and underscores.",
                         serving_error.INVALID)

  def rest_path(self) -> str:
    """`/v1/models/NAME[/versions/V|/labels/L]`, the REST API's path of this model (version)."""
    path = f"/v1/models/{urllib.parse.quote(self.name, safe='')}"
    if self.version is not None:
      return f"{path}/versions/{self.version}"
    return f"{path}/labels/{self.label}" if self.label is not None else path

  def __str__(self) -> str:
    if self.version is not None:
      return f"model {self.name} version {self.version}"
    return f"model {self.name} label {self.label}" if self.label is not None else f"model {self.name}"
