"""The named TFLite conversion modes, each mapped to its converter settings in one table (`MODES`).

Every mode keeps the converter to TFLite's builtin ops (no Select TF ops: the pip LiteRT runtime cannot run them).

| mode         | weights              | activations | input (image / text)   | output      |
|--------------|----------------------|-------------|------------------------|-------------|
| float32      | float32              | float32     | float32 0..255 / int32 | float32     |
| float16      | float16              | float32     | float32 0..255 / int32 | float32     |
| dynamic_int8 | int8                 | float32     | float32 0..255 / int32 | float32     |
| full_int8    | int8 (calibrated)    | int8        | uint8 pixels / int32   | int8 logits |
| int16x8      | int8 (calibrated)    | int16       | int16 / int32          | int16 logits|

`full_int8` runs integer kernels end to end: images come in as uint8 (the metadata gives the input scale and zero
point; for pixels calibrated over 0..255 they are 1 and 0, so raw pixels go in unchanged), token ids stay int32 (they
index the embedding table and are never quantized), and the logits come out as int8 for both kinds, so an
integer-only accelerator never has to leave int8; the metadata carries the output scale and zero point to
dequantize them.

`int16x8` (asked for with `--modes=...,int16x8`; not among the defaults) keeps int8 weights and runs int16
activations (symmetric, zero point 0), with the converter's
`EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8` op set: the integer mode for NPUs and microcontrollers
whose activations must keep more precision than int8. Images come in as int16 (scale about 255 / 32767: the edge
runtime quantizes pixel values with the metadata's scale). XNNPACK has no int16x8 kernels: on a CPU it runs on
LiteRT's reference kernels. The converter was chosen over ai-edge-quantizer's `static_wi8_ai16` recipe by measuring
both on the digits CNN (README, Deploy).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator

from edge import model_metadata
from export.export_error import ExportError


@dataclasses.dataclass(frozen=True)
class TfliteMode:
  """One conversion mode and the converter settings it stands for.

  Attributes:
    name: `float32`, `float16`, `dynamic_int8`, `full_int8` or `int16x8`.
    description: what the mode stores, for reports.
    optimize: turn on the converter's default optimizations (weight quantization).
    float16_weights: store weights as float16.
    integer_only: quantize activations too, from a representative dataset, with integer kernels only.
    int16_activations: with `integer_only`, int16 activations (and int8 weights) instead of int8.
  """

  name: str
  description: str
  optimize: bool = False
  float16_weights: bool = False
  integer_only: bool = False
  int16_activations: bool = False

  @property
  def gates(self) -> str:
    """The family of gates the mode's files are verified by: `float32`, `float16` or `int8`."""
    return model_metadata.MODE_GATES[self.name]

  @property
  def quantized(self) -> bool:
    """Whether weights are stored in 8 bits (the int8 gates, with size and accuracy drop, apply)."""
    return self.gates == "int8"

  def configure(self, converter, kind: str,
                representative_dataset: Callable[[], Iterator[list]] | None = None) -> None:
    """Applies this mode to a `tf.lite.TFLiteConverter`.

    Args:
      converter: the converter to set up.
      kind: `image` or `text`: an image model takes uint8 pixels in `full_int8` (int16 values in `int16x8`); token
        ids are never quantized.
      representative_dataset: yields `[input]` batches of one real training example (integer modes only).
    """
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if self.optimize:
      converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if self.float16_weights:
      converter.target_spec.supported_types = [tf.float16]
    if self.integer_only:
      if representative_dataset is None:
        raise ValueError(f"Mode {self.name} needs a representative dataset.")
      converter.representative_dataset = representative_dataset
      if self.int16_activations:
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        if kind == "image":
          converter.inference_input_type = tf.int16
        converter.inference_output_type = tf.int16
        return
      converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
      if kind == "image":
        converter.inference_input_type = tf.uint8
      converter.inference_output_type = tf.int8


MODES: dict[str, TfliteMode] = {mode.name: mode for mode in (
    TfliteMode("float32", "float32 weights and activations"),
    TfliteMode("float16", "float16 weights, float32 activations", optimize=True, float16_weights=True),
    TfliteMode("dynamic_int8", "int8 weights, float32 activations (dynamic range)", optimize=True),
    TfliteMode("full_int8", "int8 weights and activations, calibrated on training data", optimize=True,
               integer_only=True),
    TfliteMode("int16x8", "int8 weights, int16 activations, calibrated on training data", optimize=True,
               integer_only=True, int16_activations=True),
)}
MODE_NAMES = model_metadata.MODES
DEFAULT_MODE_NAMES = model_metadata.DEFAULT_MODES
assert tuple(MODES) == MODE_NAMES, "edge/model_metadata.py MODES is the one list of modes, in this order"


def parse_modes(names: str | Iterable[str]) -> tuple[TfliteMode, ...]:
  """Returns the modes named in `names` (a comma-separated string or a list), in table order, without repeats.

  Raises:
    ExportError: a name is not a mode, or none is given.
  """
  if isinstance(names, str):
    names = names.split(",")
  wanted = [name.strip() for name in names if name.strip()]
  unknown = [name for name in wanted if name not in MODES]
  if unknown:
    raise ExportError(f"Unknown TFLite mode(s) {', '.join(unknown)}: the modes are {', '.join(MODE_NAMES)} "
                      f"(e.g. --modes={','.join(MODE_NAMES)}).")
  if not wanted:
    raise ExportError(f"No TFLite mode given: name one or more of {', '.join(MODE_NAMES)}.")
  return tuple(MODES[name] for name in MODE_NAMES if name in wanted)

