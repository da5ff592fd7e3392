"""Which `.tflite` file to ship to each kind of target, from what the export measured on this machine.

- `cpu`: the fastest mode that passed its gates (LiteRT with XNNPACK, one thread, batch 1: `ms / example` for a
  classifier, `ms / decode step` for a language model, which is what a generated token costs).
- `gpu`: `float16` when it passed (GPU delegates compute in 16 bits; float16 weights are what they load fastest).
- `npu_mcu`: `full_int8` when it passed and is integer-only (no operator reads or writes a floating-point tensor),
  else `int16x8` (int16 activations) when it was exported, passed and is integer-only; otherwise none, with the
  operators that keep them from being one.

The CPU figure is measured at export on the exporting machine: on a phone the order of the modes can differ (its
XNNPACK has the same kernels, so the partitions do not).
"""

from __future__ import annotations

from edge.op_delegation import counted_operators

TARGETS = ("cpu", "gpu", "npu_mcu")
# The integer modes an NPU or a microcontroller can take, in order of preference.
_INTEGER_MODES = ("full_int8", "int16x8")


def _latency(artifact: dict) -> float | None:
  return artifact.get("milliseconds_per_decode") or artifact.get("milliseconds_per_example")


def recommend(artifacts: list[dict]) -> dict[str, dict]:
  """`{target: {"mode": name or None, "why": text}}` for every target in `TARGETS`, from a report's artifacts."""
  tflite = {a["mode"]: a for a in artifacts if a["format"] == "tflite"}
  passed = {mode: a for mode, a in tflite.items() if a.get("passed") and _latency(a)}
  choices = {}
  if passed:
    fastest = min(passed, key=lambda mode: _latency(passed[mode]))
    others = ", ".join(f"{mode} {_latency(a):.3g} ms" for mode, a in sorted(passed.items(), key=lambda m: _latency(m[1]))
                       if mode != fastest)
    choices["cpu"] = {"mode": fastest, "why": f"the fastest file that passed: {_latency(passed[fastest]):.3g} ms on "
                                              f"this machine's CPU (one thread, batch 1)" +
                                              (f"; then {others}" if others else "")}
  else:
    choices["cpu"] = {"mode": None, "why": "no TFLite file passed its gates"}
  if "float16" in passed:
    choices["gpu"] = {"mode": "float16", "why": "GPU delegates compute in 16 bits, and load float16 weights as they are"}
  else:
    choices["gpu"] = {"mode": None, "why": "float16 was not exported or did not pass its gates"}
  reasons, integer = [], []
  for mode in _INTEGER_MODES:
    if mode not in tflite and mode != "full_int8":  # int16x8 is exported when asked for by name
      continue
    artifact = tflite.get(mode)
    if artifact is None or not artifact.get("passed"):
      reasons.append(f"{mode} was not exported or did not pass its gates")
      continue
    float_ops = (artifact.get("ops") or {}).get("float_ops", {})
    if float_ops:
      reasons.append(f"{mode} is not integer-only: {counted_operators(float_ops)} read or write float tensors")
    else:
      integer.append(mode)
  if integer:
    also = f"; {integer[1]} is too, for targets with int16 activations" if len(integer) > 1 else ""
    choices["npu_mcu"] = {"mode": integer[0],
                          "why": f"integer-only: every operator reads and writes integers{also}"}
  else:
    choices["npu_mcu"] = {"mode": None, "why": "; ".join(reasons)}
  return choices
