"""Runs a `full_int8` `.tflite` classifier on TensorFlow Lite Micro's interpreter (PyPI `tflite-micro`): the
runtime of microcontrollers, with its reference integer kernels and a fixed tensor arena.

It answers what a microcontroller user would otherwise find out on the device: whether every operator exists there,
how large a tensor arena the model needs (`RecordingMicroAllocator`'s total after an invocation), and whether its
results agree with LiteRT's on the same test inputs.

TFLM prints its errors and its allocation record from C++ to standard error; both are read from there (file
descriptor 2, captured while the interpreter is built and asked for its allocations).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import sys
import tempfile

import numpy as np

from edge.model_metadata import TensorInfo

# Test examples run through TFLM (its reference kernels are slow; the first ones of the test split).
MICRO_EXAMPLES = 200
_ARENA_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")
_MISSING_OP = re.compile(r"Didn't find op for builtin opcode '([A-Z0-9_]+)'")


@dataclasses.dataclass(frozen=True)
class MicroCheck:
  """What TFLM did with a file.

  Attributes:
    ran: whether TFLM built the interpreter and ran the examples.
    examples: test examples run.
    arena_bytes: the tensor arena the model used (allocation total), when it ran.
    top1_agreement: share of examples whose top class equals LiteRT's.
    max_abs_logit_difference: largest difference from LiteRT's dequantized logits.
    error: why it did not run (e.g. an operator TFLM lacks).
  """

  ran: bool
  examples: int = 0
  arena_bytes: int | None = None
  top1_agreement: float | None = None
  max_abs_logit_difference: float | None = None
  error: str | None = None

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)

  def summary(self) -> str:
    """One line for report.md."""
    if not self.ran:
      return f"not run on TFLite Micro: {self.error}"
    return (f"TFLite Micro runs it in a tensor arena of {self.arena_bytes:,} bytes; top-1 agreement with LiteRT "
            f"{100 * self.top1_agreement:.2f} % on {self.examples} test examples (max logit difference "
            f"{self.max_abs_logit_difference:.3g})")


@contextlib.contextmanager
def _captured_standard_error(lines: list[str]):
  """Sends file descriptor 2 (C++ writes included) to a temporary file for the duration; appends what came to `lines`."""
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as capture:
    os.dup2(capture.fileno(), 2)
    try:
      yield
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      capture.seek(0)
      lines += capture.read().decode("utf-8", "replace").splitlines()


def check_on_micro(path: str, input_info: TensorInfo, output_info: TensorInfo, inputs: np.ndarray,
                   litert_logits: np.ndarray) -> MicroCheck:
  """Runs `path` on TFLM, one raw input at a time, against LiteRT's logits of the same inputs.

  Args:
    path: a `.tflite` file with one input and one output (a classifier).
    input_info, output_info: its input and output tensors (scales and zero points), as LiteRT reads them.
    inputs: raw inputs `(N, ...)`, as `verification.GateRunner.logits` takes them.
    litert_logits: LiteRT's float logits `(N, classes)` of the same inputs.
  """
  from tflite_micro.python.tflite_micro import runtime  # pylint: disable=g-import-not-at-top

  messages: list[str] = []
  try:
    with _captured_standard_error(messages):
      interpreter = runtime.Interpreter.from_file(path)
  except (RuntimeError, ValueError) as error:
    missing = sorted({match.group(1) for line in messages for match in [_MISSING_OP.search(line)] if match})
    reason = (f"TFLite Micro has no kernel for {', '.join(missing)}" if missing else
              f"{type(error).__name__}: {str(error).strip() or 'the interpreter could not be built'}")
    return MicroCheck(ran=False, error=reason)
  logits = []
  for example in np.asarray(inputs):
    interpreter.set_input(input_info.quantize(example[None]), 0)
    interpreter.invoke()
    logits.append(output_info.dequantize(interpreter.get_output(0))[0])
  logits = np.stack(logits)
  with _captured_standard_error(messages):
    interpreter.print_allocations()
  totals = [int(match.group(1)) for line in messages for match in [_ARENA_TOTAL.search(line)] if match]
  reference = np.asarray(litert_logits)[:len(logits)]
  return MicroCheck(ran=True, examples=len(logits), arena_bytes=totals[-1] if totals else None,
                    top1_agreement=float((logits.argmax(-1) == reference.argmax(-1)).mean()),
                    max_abs_logit_difference=float(np.abs(logits - reference).max()))
