"""The thresholds an exported artifact must meet against the Keras model on the held-out test split."""

from __future__ import annotations

import dataclasses

# Default gates that depend on the kind of model: image (cnn) or text.
_INT8_MIN_AGREEMENT = {"image": 0.98, "text": 0.97}
_INT8_MAX_ACCURACY_DROP = {"image": 0.005, "text": 0.010}


@dataclasses.dataclass(frozen=True)
class VerificationGates:
  """Per-mode gates. Fractions, not percents: an agreement of 0.995 is 99.5 %, an accuracy drop of 0.005 is 0.5 pt.

  float32 artifacts (the SavedModel signatures and the float32 `.tflite`) must agree with Keras everywhere and stay
  within `float32_max_logit_error`; float16 must agree on `float16_min_agreement` of the examples; the int8 modes
  (`dynamic_int8`, `full_int8`) must agree on `int8_min_agreement`, lose at most `int8_max_accuracy_drop` of
  accuracy, and be at most `int8_max_size_ratio` times the size of the float32 `.tflite`.

  Attributes:
    float32_min_agreement: least top-1 agreement with Keras of float32 artifacts.
    float32_max_logit_error: largest absolute logit difference from Keras allowed in float32 artifacts.
    float16_min_agreement: least top-1 agreement of the float16 `.tflite`.
    int8_min_agreement: least top-1 agreement of the int8 `.tflite` files (None: 0.98 image, 0.97 text).
    int8_max_accuracy_drop: largest test-accuracy loss against Keras (None: 0.005 image, 0.010 text).
    int8_max_size_ratio: largest size of an int8 `.tflite` relative to the float32 one.
  """

  float32_min_agreement: float = 1.0
  float32_max_logit_error: float = 1e-3
  float16_min_agreement: float = 0.995
  int8_min_agreement: float | None = None
  int8_max_accuracy_drop: float | None = None
  int8_max_size_ratio: float = 0.30

  def for_kind(self, kind: str) -> "VerificationGates":
    """Returns these gates with the kind-dependent defaults (`image` or `text`) filled in."""
    return dataclasses.replace(
        self,
        int8_min_agreement=_INT8_MIN_AGREEMENT[kind] if self.int8_min_agreement is None else self.int8_min_agreement,
        int8_max_accuracy_drop=(_INT8_MAX_ACCURACY_DROP[kind] if self.int8_max_accuracy_drop is None
                                else self.int8_max_accuracy_drop))

  def check(self, mode: str, figures: dict, float32_size: int | None = None) -> list[str]:
    """Returns the failed gates of one artifact, each naming the figure, its value and the gate.

    Args:
      mode: `float32`, `float16`, `dynamic_int8` or `full_int8` (SavedModel signatures are `float32`).
      figures: `top1_agreement`, `max_abs_logit_error`, `accuracy`, `reference_accuracy` and `size_bytes`.
      float32_size: size of the float32 `.tflite`, the reference of the int8 size gate (None: not checked).
    """
    failures = []

    def at_least(name: str, value: float, gate: float) -> None:
      if not value >= gate:  # also catches NaN
        failures.append(f"{name} {value:.6g} < {gate:.6g} (gate for {mode})")

    def at_most(name: str, value: float, gate: float) -> None:
      if not value <= gate:
        failures.append(f"{name} {value:.6g} > {gate:.6g} (gate for {mode})")

    if mode == "float32":
      at_least("top1_agreement", figures["top1_agreement"], self.float32_min_agreement)
      at_most("max_abs_logit_error", figures["max_abs_logit_error"], self.float32_max_logit_error)
    elif mode == "float16":
      at_least("top1_agreement", figures["top1_agreement"], self.float16_min_agreement)
    else:
      at_least("top1_agreement", figures["top1_agreement"], self.int8_min_agreement)
      at_most("accuracy_drop", figures["reference_accuracy"] - figures["accuracy"], self.int8_max_accuracy_drop)
      if float32_size:
        at_most("size_ratio", figures["size_bytes"] / float32_size, self.int8_max_size_ratio)
    return failures

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)
