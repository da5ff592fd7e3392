"""The thresholds an exported artifact must meet against the Keras model on the held-out test split."""

from __future__ import annotations

import dataclasses

from edge.model_metadata import MODE_GATES, MODES

# Default gates that depend on the kind of model: image (cnn), text (classifiers) or corpus (language models).
# A language model's int8 files are held to their perplexity instead: the top-1 next character flips between
# near-equal candidates without changing the distribution (measured: 0.83 agreement at +3 % perplexity for a full-int8
# transformer), so agreement is reported, not gated. A transformer keeps its position table (sequence_length x width)
# in float32, 8 % of its int8 file (measured: size ratio 0.306 for a 128 x 128 window of novels_transformer_lm).
_INT8_MIN_AGREEMENT = {"image": 0.98, "text": 0.97, "corpus": 0.0}
_INT8_MAX_ACCURACY_DROP = {"image": 0.005, "text": 0.010}
_INT8_MAX_SIZE_RATIO = {"image": 0.30, "text": 0.30, "corpus": 0.35}
# The batch size at which a `.tflite` classifier of any batch size is run a second time: an edge box that batches
# requests gets the answers of batch 1.
BATCH_CHECK_SIZE = 8


@dataclasses.dataclass(frozen=True)
class VerificationGates:
  """Per-mode gates. Fractions, not percents: an agreement of 0.995 is 99.5 %, an accuracy drop of 0.005 is 0.5 pt.

  float32 artifacts (the SavedModel signatures and the float32 `.tflite`) must agree with Keras everywhere and stay
  within `float32_max_logit_error`; float16 must agree on `float16_min_agreement` of the examples; the int8 modes
  (`dynamic_int8`, `full_int8`) must agree on `int8_min_agreement`, lose at most `int8_max_accuracy_drop` of
  accuracy (a language model: raise its perplexity at most `int8_max_perplexity_ratio` times), and be at most
  `int8_max_size_ratio` times the size of the float32 `.tflite`. A language model's figures are those of its next
  token (`next_token_verification`). A `.tflite` classifier of any batch size must give, run at batch
  `BATCH_CHECK_SIZE`, the logits it gives at batch 1 within `max_batch_logit_difference`, in every mode.

  Attributes:
    float32_min_agreement: least top-1 agreement with Keras of float32 artifacts.
    float32_max_logit_error: largest absolute logit difference from Keras allowed in float32 artifacts.
    float16_min_agreement: least top-1 agreement of the float16 `.tflite`.
    int8_min_agreement: least top-1 agreement of the int8 `.tflite` files (None: 0.98 image, 0.97 text, 0 corpus).
    int8_max_accuracy_drop: largest test-accuracy loss against Keras of a classifier (None: 0.005 image, 0.010 text).
    int8_max_perplexity_ratio: largest test perplexity of a language model's int8 `.tflite` relative to Keras'.
    int8_max_size_ratio: largest size of an int8 `.tflite` relative to the float32 one (None: 0.30 image and text,
      0.35 corpus).
    max_batch_logit_difference: largest absolute difference between a `.tflite` file's logits at batch
      `BATCH_CHECK_SIZE` and at batch 1, on the same examples.
  """

  # Each field's "help" is its `tools/export.py` flag's (one flag per field, of the same name).
  float32_min_agreement: float = dataclasses.field(default=1.0, metadata={
      "help": "least top-1 agreement with Keras of float32 artifacts (default 1.0)"})
  float32_max_logit_error: float = dataclasses.field(default=1e-3, metadata={
      "help": "largest |logit - Keras logit| of float32 artifacts (default 1e-3)"})
  float16_min_agreement: float = dataclasses.field(default=0.995, metadata={
      "help": "least top-1 agreement of float16 (default 0.995)"})
  int8_min_agreement: float | None = dataclasses.field(default=None, metadata={
      "help": "least top-1 agreement of the int8 modes (default 0.98 images, 0.97 text, 0 language models)"})
  int8_max_accuracy_drop: float | None = dataclasses.field(default=None, metadata={
      "help": "largest accuracy loss of the int8 modes, a fraction (default 0.005 images, 0.01 text)"})
  int8_max_perplexity_ratio: float = dataclasses.field(default=1.05, metadata={
      "help": "largest int8 perplexity of a language model relative to Keras' (default 1.05)"})
  int8_max_size_ratio: float | None = dataclasses.field(default=None, metadata={
      "help": "largest int8 size relative to the float32 .tflite (default 0.30; 0.35 language models)"})
  max_batch_logit_difference: float = dataclasses.field(default=1e-4, metadata={
      "help": "largest |logit at batch 8 - logit at batch 1| of a .tflite file (default 1e-4)"})

  def for_kind(self, kind: str) -> "VerificationGates":
    """Returns these gates with the kind-dependent defaults (`image`, `text` or `corpus`) filled in."""
    return dataclasses.replace(
        self,
        int8_min_agreement=_INT8_MIN_AGREEMENT[kind] if self.int8_min_agreement is None else self.int8_min_agreement,
        int8_max_accuracy_drop=(_INT8_MAX_ACCURACY_DROP.get(kind) if self.int8_max_accuracy_drop is None
                                else self.int8_max_accuracy_drop),
        int8_max_size_ratio=(_INT8_MAX_SIZE_RATIO[kind] if self.int8_max_size_ratio is None
                             else self.int8_max_size_ratio))

  def check(self, mode: str, figures: dict, float32_size: int | None = None) -> list[str]:
    """Returns the failed gates of one artifact, each naming the figure, its value and the gate.

    Args:
      mode: a mode of `MODE_GATES` (edge/model_metadata.py), whose gate family applies (SavedModel signatures are
        `float32`).
      figures: `num_examples`, `top1_agreement`, `max_abs_logit_error`, `accuracy`, `reference_accuracy` and
        `size_bytes`; a language model's also `perplexity_ratio`, which replaces the accuracy drop; a `.tflite` of
        any batch size also `batch_logit_difference`.
      float32_size: size of the float32 `.tflite`, the reference of the int8 size gate (None: not checked).
    """
    # Every figure of an artifact that ran on no example is vacuous (agreement 1.0 over nothing): no gate can pass.
    if not figures["num_examples"] >= 1:
      return [f"num_examples {figures['num_examples']} < 1 (gate for {mode}): the artifact was verified on no "
              "example"]
    failures = []

    def at_least(name: str, value: float, gate: float) -> None:
      if not value >= gate:  # also catches NaN
        failures.append(f"{name} {value:.6g} < {gate:.6g} (gate for {mode})")

    def at_most(name: str, value: float, gate: float) -> None:
      if not value <= gate:
        failures.append(f"{name} {value:.6g} > {gate:.6g} (gate for {mode})")

    family = MODE_GATES.get(mode)
    if family is None:
      raise ValueError(f"No gates for mode '{mode}': the modes are {', '.join(MODES)}.")
    if family == "float32":
      at_least("top1_agreement", figures["top1_agreement"], self.float32_min_agreement)
      at_most("max_abs_logit_error", figures["max_abs_logit_error"], self.float32_max_logit_error)
    elif family == "float16":
      at_least("top1_agreement", figures["top1_agreement"], self.float16_min_agreement)
    else:
      at_least("top1_agreement", figures["top1_agreement"], self.int8_min_agreement)
      if "perplexity_ratio" in figures:
        at_most("perplexity_ratio", figures["perplexity_ratio"], self.int8_max_perplexity_ratio)
      else:
        at_most("accuracy_drop", figures["reference_accuracy"] - figures["accuracy"], self.int8_max_accuracy_drop)
      if float32_size:
        at_most("size_ratio", figures["size_bytes"] / float32_size, self.int8_max_size_ratio)
    if "batch_logit_difference" in figures:
      at_most("batch_logit_difference", figures["batch_logit_difference"], self.max_batch_logit_difference)
    return failures

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)
