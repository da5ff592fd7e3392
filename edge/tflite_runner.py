"""The one loop that runs a single-input, single-output `.tflite` file: what the export's gate, the edge classifier
and the benchmark all run, so the gate measures the code users ship.

Each invocation resets the interpreter's variables first (a fused LSTM keeps its state in variable tensors: without
the reset one input's state leaks into the next one's answer), sets the input, invokes and reads the output. Raw
inputs are quantized with the input tensor's scale and zero point when it is quantized, and int8 outputs are
dequantized. Imports nothing of TensorFlow.
"""

from __future__ import annotations

import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from edge.model_metadata import TensorInfo


class TfliteRunner:
  """Runs one interpreter of a file with one input and one output.

  Args:
    interpreter: a LiteRT interpreter, tensors allocated.
    input_details, output_details: the interpreter's details of its input and output tensor.

  Attributes:
    input, output: the tensors as `TensorInfo` (shape as in the file's signature: -1 for a free batch dimension).
  """

  def __init__(self, interpreter: Interpreter, input_details: dict, output_details: dict):
    self.interpreter = interpreter
    self.input = TensorInfo.from_details(input_details)
    self.output = TensorInfo.from_details(output_details)
    self._input_index = input_details["index"]
    self._output_index = output_details["index"]
    self._allocated_batch = int(input_details["shape"][0])
    self._seconds = 0.0
    self._examples = 0

  @classmethod
  def from_file(cls, path: str, num_threads: int | None = 1) -> "TfliteRunner":
    """Loads `path` into a new interpreter.

    Raises:
      ValueError, RuntimeError: LiteRT cannot load the model or allocate its tensors, or it has other than one input
        and one output.
    """
    interpreter = Interpreter(model_path=path, num_threads=num_threads)
    interpreter.allocate_tensors()
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    if len(inputs) != 1 or len(outputs) != 1:
      raise ValueError(f"{path} has {len(inputs)} inputs and {len(outputs)} outputs; a classifier has one of each.")
    return cls(interpreter, inputs[0], outputs[0])

  @property
  def any_batch_size(self) -> bool:
    """Whether the file's batch dimension is free (-1 in its signature), so that it runs batches of any size."""
    return self.input.shape[0] == -1

  @property
  def fixed_batch_size(self) -> int | None:
    """The batch size the file was converted for, or None when it takes any."""
    return None if self.any_batch_size else self.input.shape[0]

  @property
  def seconds_per_example(self) -> float:
    """Mean time of one example over all timed calls so far (0 before the first)."""
    return self._seconds / self._examples if self._examples else 0.0

  def prepare(self, inputs: np.ndarray) -> np.ndarray:
    """Raw inputs (float values, or int32 token ids) -> what the input tensor stores (quantized when it is)."""
    inputs = np.asarray(inputs)
    return self.input.quantize(inputs.astype(np.float32) if self.input.dtype != "int32" else inputs)

  def resize(self, batch_size: int) -> None:
    """Allocates the tensors for batches of `batch_size` (a file that takes any batch size only)."""
    if not self.any_batch_size:
      raise ValueError(f"the model's input has a fixed batch size of {self.input.shape[0]}")
    if batch_size != self._allocated_batch:
      self.interpreter.resize_tensor_input(self._input_index, [batch_size, *self.input.shape[1:]])
      self.interpreter.allocate_tensors()
      self._allocated_batch = batch_size

  def invoke(self, values: np.ndarray, invoke: bool = True) -> np.ndarray:
    """One invocation on a prepared batch (a file that takes any batch size is resized first when the batch differs
    from the allocated one); returns the raw output. `invoke=False` does everything but run the model (to time the
    rest)."""
    interpreter = self.interpreter
    if self.any_batch_size:
      self.resize(len(values))
    interpreter.set_tensor(self._input_index, values)
    interpreter.reset_all_variables()
    if invoke:
      interpreter.invoke()
    return interpreter.get_tensor(self._output_index)

  def logits(self, inputs: np.ndarray, batch_size: int = 1, timed: bool = True) -> np.ndarray:
    """float32 outputs `(N, classes)` of raw `inputs` `(N, ...)`, run `batch_size` at a time (a fixed-batch file:
    its own batch size, the last batch padded and the padding's outputs dropped). With `timed`, adds the time of
    the invocations to `seconds_per_example`."""
    values = self.prepare(inputs)
    batch = self.fixed_batch_size or max(1, batch_size)
    results = []
    start = time.perf_counter()
    for offset in range(0, len(values), batch):
      part = values[offset:offset + batch]
      count = len(part)
      if self.fixed_batch_size and count < batch:
        part = np.concatenate([part, np.zeros((batch - count, *part.shape[1:]), part.dtype)])
      results.append(self.invoke(part)[:count])
    if timed:
      self._seconds += time.perf_counter() - start
      self._examples += len(values)
    outputs = (np.concatenate(results) if results
               else np.zeros((0, self.output.shape[-1]), np.dtype(self.output.dtype)))
    return self.output.dequantize(outputs)
