"""Keras model -> `.tflite`, one mode per subprocess, so that a converter crash loses only that mode.

The converter reads a SavedModel of a `tf.function` (`write_conversion_saved_model`): converting from a SavedModel
freezes the variables into constants. The inputs' dimensions other than the batch are static (static sequence
lengths keep recurrent layers convertible); which classifiers have a free batch dimension is
`ClassifierTask.conversion_function`'s, and a language model's signatures are static throughout. Image models take
float32 pixel values 0..255 there (the model rescales them itself; `full_int8` turns the input into uint8); text
models take int32 token ids.

Each mode is converted by `python -m export.tflite.tflite_conversion ...` (`convert_in_subprocess`): the full-integer
calibration of a looped LSTM has crashed the whole process with a segmentation fault here, and a crash must not take
the other modes with it. The subprocess dies with the process that started it (`die_with_parent`), so an export
killed with SIGKILL leaves no converter running and writing. For tests, the environment variable
`TFMODELS_EXPORT_ABORT_MODES` (comma-separated mode names) makes the subprocess abort, as a crashing converter
would, before converting those modes.
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from tfmodels.atomic_files import write_bytes

ABORT_MODES_VARIABLE = "TFMODELS_EXPORT_ABORT_MODES"
# The signature a single-function conversion SavedModel has (`write_conversion_saved_model`).
DEFAULT_SIGNATURE = "serving_default"
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_STDERR_TAIL_CHARS = 2000
# Input index of the cell state of TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM op (schema order).
_LSTM_CELL_STATE_INPUT = 19
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclasses.dataclass(frozen=True)
class ConversionResult:
  """How the conversion of one mode went.

  Attributes:
    mode: the mode name.
    path: the written `.tflite` file, or "" when the conversion failed.
    returncode: exit status of the subprocess (negative: killed by that signal).
    seconds: wall time of the subprocess.
    stderr_tail: the end of its error output when it failed.
  """

  mode: str
  path: str
  returncode: int
  seconds: float
  stderr_tail: str = ""

  @property
  def succeeded(self) -> bool:
    return self.returncode == 0 and bool(self.path)

  def failure(self) -> str:
    """One line saying how the conversion failed."""
    if self.returncode < 0:
      try:
        name = signal.Signals(-self.returncode).name
      except ValueError:
        name = f"signal {-self.returncode}"
      return f"conversion crashed: the converter process was killed by {name} (exit code {self.returncode})"
    last_line = next((line for line in reversed(self.stderr_tail.splitlines()) if line.strip()), "")
    return f"conversion failed (exit code {self.returncode}): {last_line}"

  def to_dict(self) -> dict:
    return {"returncode": self.returncode, "seconds": round(self.seconds, 2), "stderr_tail": self.stderr_tail}


def write_conversion_saved_model(function: Callable, input_spec, path: str) -> None:
  """Writes a SavedModel whose `serving_default` signature is `function` on `input_spec`.

  Only the variables the function reads are tracked (Keras' `ExportArchive`): when the Keras model object itself
  is saved as well, the converter keeps the variables as `VAR_HANDLE` ops instead of freezing them.
  """
  write_signatures_saved_model({"serving_default": (function, [input_spec])}, path)


def write_signatures_saved_model(signatures: dict[str, tuple[Callable, list]], path: str) -> None:
  """Writes a SavedModel with one signature per entry `key: (function, input specs)`.

  The converter turns each signature into a signature of one `.tflite` file (subgraphs in the order of their keys),
  sharing the weights: every signature reads the same frozen constants.
  """
  import keras  # pylint: disable=g-import-not-at-top

  archive = keras.export.ExportArchive()
  for key, (function, input_specs) in signatures.items():
    archive.add_endpoint(key, function, list(input_specs))
  archive.write_out(path, verbose=False)


def write_signature_samples(samples: dict[str, dict[str, "np.ndarray"]], path: str) -> None:
  """Writes calibration samples of several signatures, `{key: {input name: (N_key, ...) values}}`, as `.npz`."""
  import numpy as np  # pylint: disable=g-import-not-at-top

  np.savez(path, **{f"{key}/{name}": values for key, inputs in samples.items() for name, values in inputs.items()})


def signature_samples(path: str):
  """Yields the samples `write_signature_samples` wrote as `(signature key, {input name: value})`, the keys taking
  turns, as the converter's multi-signature calibration reads them."""
  import numpy as np  # pylint: disable=g-import-not-at-top

  with np.load(path) as stored:
    samples: dict[str, dict[str, np.ndarray]] = {}
    for entry in stored.files:
      key, name = entry.split("/", 1)
      samples.setdefault(key, {})[name] = stored[entry]
  counts = {key: len(next(iter(inputs.values()))) for key, inputs in samples.items()}
  for index in range(max(counts.values(), default=0)):
    for key, inputs in samples.items():
      if index < counts[key]:
        yield key, {name: values[index] for name, values in inputs.items()}


def convert_in_subprocess(saved_model: str, mode: str, kind: str, representative_path: str, output_path: str,
                          timeout: float = 1800.0,
                          signature_keys: tuple[str, ...] = (DEFAULT_SIGNATURE,)) -> ConversionResult:
  """Converts the signatures `signature_keys` of `saved_model` in `mode` in a fresh Python process; returns how it
  went, crashes included."""
  command = [sys.executable, "-m", "export.tflite.tflite_conversion", f"--saved_model={saved_model}", f"--mode={mode}",
             f"--kind={kind}", f"--representative={representative_path}", f"--output={output_path}",
             f"--signature_keys={','.join(signature_keys)}", f"--parent_pid={os.getpid()}"]
  environment = dict(os.environ)  # the project is installed (pyproject.toml), so `-m export...` finds it anywhere
  environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  start = time.perf_counter()
  try:
    completed = subprocess.run(command, cwd=_REPO_ROOT, env=environment, capture_output=True, text=True,
                               timeout=timeout, check=False)
  except subprocess.TimeoutExpired as error:
    stderr = error.stderr.decode("utf-8", "replace") if isinstance(error.stderr, bytes) else (error.stderr or "")
    return ConversionResult(mode, "", -int(signal.SIGKILL), time.perf_counter() - start,
                            f"{stderr[-_STDERR_TAIL_CHARS:]}\nTimed out after {timeout:.0f} s.")
  seconds = time.perf_counter() - start
  written = completed.returncode == 0 and os.path.isfile(output_path)
  return ConversionResult(mode, output_path if written else "", completed.returncode, seconds,
                          "" if written else completed.stderr[-_STDERR_TAIL_CHARS:])


def convert(saved_model: str, mode_name: str, kind: str, representative_path: str,
            signature_keys: tuple[str, ...] = (DEFAULT_SIGNATURE,)) -> bytes:
  """Converts the signatures `signature_keys` of `saved_model` in one mode, in this process; returns the flatbuffer.

  The keys are named because Keras' `ExportArchive` adds a `serving_default` alias of the first endpoint to a
  SavedModel without one: converted too, it would be a subgraph of its own (in `full_int8` with float weights).
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  from export.tflite.tflite_modes import MODES  # pylint: disable=g-import-not-at-top

  converter = tf.lite.TFLiteConverter.from_saved_model(saved_model, signature_keys=list(signature_keys))

  def representative_dataset():
    if representative_path.endswith(".npz"):  # samples of several signatures, each already at its static shape
      yield from signature_samples(representative_path)
      return
    for sample in np.load(representative_path):
      yield [sample[None]]  # a batch of one, as the conversion signature takes

  mode = MODES[mode_name]
  mode.configure(converter, kind, representative_dataset)
  content = converter.convert()
  content = widen_lstm_cell_state(content) if mode.integer_only else remove_lstm_cell_clip(content)
  return share_quantization_parameters(content) if mode.optimize else content


def share_quantization_parameters(content: bytes) -> bytes:
  """Writes the model again with each distinct quantization-parameter table and vector stored once.

  TFLite attaches quantization parameters to tensors, and tensors belong to one subgraph: a file with several
  signatures (a language model's `prefill` and `decode`) shares its weight buffers but repeats every weight's
  per-channel scales and zero points in each subgraph, and per-channel zero points are int64 zeros, one per
  channel. In the novels transformer's `full_int8` file they took 174 KB of 935 KB (size 0.358x float32). A
  FlatBuffer may point many tensors at one table or vector (readers follow offsets; the schema has no ownership), so
  equal tables and equal vectors are written once: 804 KB (0.308x) here, with outputs bit-identical (tested).
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=g-import-not-at-top
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top

  model = flatbuffer_utils.read_model_from_bytearray(content)
  original_pack = schema.QuantizationParametersT.Pack
  vectors: dict[tuple[str, bytes], int] = {}
  tables: dict[tuple, int] = {}
  adders = (schema.QuantizationParametersAddMin, schema.QuantizationParametersAddMax,
            schema.QuantizationParametersAddScale, schema.QuantizationParametersAddZeroPoint)

  def shared_pack(parameters, builder):
    if parameters.details is not None:  # custom quantization details: written as they are
      return original_pack(parameters, builder)
    fields = [None if values is None else np.asarray(values, dtype) for values, dtype in (
        (parameters.min, np.float32), (parameters.max, np.float32), (parameters.scale, np.float32),
        (parameters.zeroPoint, np.int64))]
    key = (*(None if values is None else values.tobytes() for values in fields), parameters.quantizedDimension,
           *(None if values is None else len(values) for values in fields))
    if key not in tables:
      offsets = []
      for values in fields:
        if values is not None and (values.dtype.str, values.tobytes()) not in vectors:
          vectors[values.dtype.str, values.tobytes()] = builder.CreateNumpyVector(values)
        offsets.append(None if values is None else vectors[values.dtype.str, values.tobytes()])
      schema.QuantizationParametersStart(builder)
      for offset, add in zip(offsets, adders):
        if offset is not None:
          add(builder, offset)
      schema.QuantizationParametersAddDetailsType(builder, parameters.detailsType)
      schema.QuantizationParametersAddQuantizedDimension(builder, parameters.quantizedDimension)
      tables[key] = schema.QuantizationParametersEnd(builder)
    return tables[key]

  schema.QuantizationParametersT.Pack = shared_pack
  try:
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
  finally:
    schema.QuantizationParametersT.Pack = original_pack


def remove_lstm_cell_clip(content: bytes) -> bytes:
  """Takes the cell clip off every fused LSTM of a float model, so that it computes what the Keras LSTM computes.

  The converter gives each fused LSTM a cell clip of 10, which Keras' LSTM does not have. A trained LSTM's cell
  state goes beyond it (up to 27.6 in a small character model, which then missed Keras' logits by 0.05), and the
  float kernels would clip it. The integer kernels keep the clip: their int16 cell state needs a bounded range
  (`widen_lstm_cell_state`).
  """
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top

  model = flatbuffer_utils.read_model_from_bytearray(content)
  changed = False
  for _, op in fused_lstm_ops(model):
    if op.builtinOptions.cellClip > 0:
      op.builtinOptions.cellClip = 0.0
      changed = True
  return flatbuffer_utils.convert_object_to_bytearray(model) if changed else content


def widen_lstm_cell_state(content: bytes) -> bytes:
  """Gives the int16 cell state of every fused LSTM a range that holds all the values the op allows.

  The calibrator sees a fused LSTM's cell state only where the op reads it, between invocations (the state left by
  the previous example), never the larger values it takes inside a sequence; the converter then picks a range as
  small as +-0.5 and the integer kernel saturates the cell state (here: 71 % top-1 agreement on Rotten Tomatoes).
  The op clips the cell state to `cell_clip` anyway, so the power-of-two scale that covers `cell_clip` in int16
  loses nothing (the integer kernel wants a power-of-two scale for the cell state).
  """
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top

  from ai_edge_litert import schema_py_generated as schema  # pylint: disable=g-import-not-at-top

  model = flatbuffer_utils.read_model_from_bytearray(content)
  changed = False
  for subgraph, op in fused_lstm_ops(model):
    if op.builtinOptions.cellClip <= 0:
      continue
    cell_state = subgraph.tensors[op.inputs[_LSTM_CELL_STATE_INPUT]]
    if cell_state.type != schema.TensorType.INT16 or len(cell_state.quantization.scale) != 1:
      continue
    scale = 2.0 ** (math.ceil(math.log2(op.builtinOptions.cellClip)) - 15)
    if cell_state.quantization.scale[0] < scale:
      cell_state.quantization.scale = [scale]
      changed = True
  return flatbuffer_utils.convert_object_to_bytearray(model) if changed else content


def fused_lstm_ops(model):
  """(subgraph, operator) of every `UNIDIRECTIONAL_SEQUENCE_LSTM` of a flatbuffer model object."""
  from ai_edge_litert import schema_py_generated as schema  # pylint: disable=g-import-not-at-top

  lstm = schema.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM
  for subgraph in model.subgraphs:
    for op in subgraph.operators:
      code = model.operatorCodes[op.opcodeIndex]
      if max(code.builtinCode, code.deprecatedBuiltinCode) == lstm:
        yield subgraph, op


def die_with_parent(parent_pid: int) -> None:
  """Makes the kernel kill this process with SIGKILL when `parent_pid`, the export that started it, ends.

  An export killed with SIGKILL cannot stop its converters itself, and a converter left running goes on for minutes,
  writing into a work directory nobody will read. `PR_SET_PDEATHSIG` acts however the parent ends, at no cost while
  it lives, which polling the parent's pid would not. It is set here, in the child's own code, rather than in a
  `preexec_fn`, which is unsafe in the exporter's threads. The signal follows the thread that started the child:
  that thread waits in `subprocess.run` for the whole conversion, so it ends only with the export. A parent that
  died before the call is caught by comparing the parent pid. Without `prctl` (not Linux) nothing is done.
  """
  if not sys.platform.startswith("linux"):
    return
  ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
  if os.getppid() != parent_pid:
    os._exit(1)  # pylint: disable=protected-access  (the export is gone already: nothing to clean up or report)


def main(argv: list[str] | None = None) -> None:
  """Subprocess entry point: converts one mode and writes the file atomically."""
  parser = argparse.ArgumentParser(description="Converts one mode of a conversion SavedModel to .tflite.")
  for name in ("saved_model", "mode", "kind", "representative", "output"):
    parser.add_argument(f"--{name}", required=True)
  parser.add_argument("--signature_keys", default=DEFAULT_SIGNATURE)
  parser.add_argument("--parent_pid", type=int, required=True)
  args = parser.parse_args(argv)
  die_with_parent(args.parent_pid)
  if args.mode in os.environ.get(ABORT_MODES_VARIABLE, "").split(","):
    os.abort()
  content = convert(args.saved_model, args.mode, args.kind, args.representative,
                    tuple(args.signature_keys.split(",")))
  write_bytes(args.output, content)


if __name__ == "__main__":
  main()
