"""Runs exported artifacts on held-out examples and measures them against the Keras model.

Figures of one artifact (`logit_figures`): `max_abs_logit_error`, `mean_abs_logit_error` (over every logit of every
example), `top1_agreement` (share of examples where the artifact's top class is Keras'), `accuracy` and
`reference_accuracy` (Keras') on the true labels, and `num_examples`.
"""

from __future__ import annotations

import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from edge.model_metadata import TensorInfo

OUTPUT_NAMES = ("logits", "probabilities", "class_ids", "classes")

_SAVED_MODEL_BATCH = 256


def logit_figures(logits: np.ndarray, reference_logits: np.ndarray, labels: np.ndarray) -> dict:
  """Compares an artifact's logits with Keras' on the same examples; returns the figures (plain floats)."""
  logits = np.asarray(logits, np.float64)
  reference_logits = np.asarray(reference_logits, np.float64)
  if logits.shape != reference_logits.shape:
    raise ValueError(f"The artifact gave logits of shape {logits.shape}, Keras {reference_logits.shape}.")
  errors = np.abs(logits - reference_logits)
  predicted, reference = logits.argmax(axis=-1), reference_logits.argmax(axis=-1)
  return {
      "num_examples": int(len(labels)),
      "max_abs_logit_error": float(errors.max()) if errors.size else 0.0,
      "mean_abs_logit_error": float(errors.mean()) if errors.size else 0.0,
      "top1_agreement": float((predicted == reference).mean()) if len(labels) else 1.0,
      "accuracy": float((predicted == labels).mean()) if len(labels) else 0.0,
      "reference_accuracy": float((reference == labels).mean()) if len(labels) else 0.0,
  }


def per_example_errors(logits: np.ndarray, reference_logits: np.ndarray) -> np.ndarray:
  """The largest absolute logit error of each example, for histograms."""
  return np.abs(np.asarray(logits, np.float64) - np.asarray(reference_logits, np.float64)).max(axis=-1)


class TfliteRunner:
  """Runs a `.tflite` classifier with LiteRT one example at a time (batch 1), as an edge device would, or, when the
  file takes any batch size, several at a time (`batched_logits`).

  Inputs are raw values (float pixel values 0..255 or int32 token ids); they are quantized with the input tensor's
  scale and zero point when it is quantized, and int8 logits are dequantized. The variables are reset before every
  example: a fused LSTM keeps its state in them between invocations. `logits` may be called chunk by chunk;
  `seconds_per_example` is the mean over every example of every call.

  Args:
    path: the `.tflite` file.
    num_threads: interpreter threads.

  Raises:
    ValueError, RuntimeError: LiteRT cannot load the model or allocate its tensors.
  """

  def __init__(self, path: str, num_threads: int = 1):
    self.interpreter = Interpreter(model_path=path, num_threads=num_threads)
    self.interpreter.allocate_tensors()
    inputs, outputs = self.interpreter.get_input_details(), self.interpreter.get_output_details()
    if len(inputs) != 1 or len(outputs) != 1:
      raise ValueError(f"{path} has {len(inputs)} inputs and {len(outputs)} outputs; a classifier has one of each.")
    self.input = TensorInfo.from_details(inputs[0])
    self.output = TensorInfo.from_details(outputs[0])
    self._input_index = inputs[0]["index"]
    self._output_index = outputs[0]["index"]
    self._path = path
    # A second interpreter for other batch sizes, loaded now: the file may be moved once it is loaded.
    self._batched = Interpreter(model_path=path, num_threads=num_threads) if self.any_batch_size else None
    self._seconds = 0.0
    self._examples = 0

  @property
  def any_batch_size(self) -> bool:
    """Whether the file's batch dimension is free (-1 in its signature), so that `batched_logits` can run it."""
    return self.input.shape[0] == -1

  @property
  def seconds_per_example(self) -> float:
    """Mean time of one example over all calls of `logits` so far (0 before the first example)."""
    return self._seconds / self._examples if self._examples else 0.0

  def logits(self, inputs: np.ndarray) -> np.ndarray:
    """Returns float32 logits `(N, classes)` for raw `inputs` `(N, ...)`; adds their time to `seconds_per_example`."""
    values = self.input.quantize(np.asarray(inputs))
    results = []
    interpreter = self.interpreter
    start = time.perf_counter()
    for value in values:
      interpreter.reset_all_variables()
      interpreter.set_tensor(self._input_index, value[None])
      interpreter.invoke()
      results.append(interpreter.get_tensor(self._output_index)[0])
    self._seconds += time.perf_counter() - start
    self._examples += len(values)
    outputs = np.stack(results) if results else np.zeros((0, self.output.shape[-1]), np.dtype(self.output.dtype))
    return self.output.dequantize(outputs)

  def batched_logits(self, inputs: np.ndarray, batch_size: int) -> np.ndarray:
    """Returns the float32 logits of `inputs` run `batch_size` at a time (the last batch holds the rest), on a second
    interpreter resized for them; not timed.

    Raises:
      ValueError: the file has a fixed batch size (`any_batch_size` is false).
    """
    if self._batched is None:
      raise ValueError(f"{self._path} has a fixed batch size of {self.input.shape[0]}.")
    interpreter, values, results = self._batched, self.input.quantize(np.asarray(inputs)), []
    for start in range(0, len(values), batch_size):
      part = values[start:start + batch_size]
      interpreter.resize_tensor_input(self._input_index, list(part.shape))
      interpreter.allocate_tensors()
      interpreter.reset_all_variables()
      interpreter.set_tensor(self._input_index, part)
      interpreter.invoke()
      results.append(interpreter.get_tensor(self._output_index))
    outputs = np.concatenate(results) if results else np.zeros((0, self.output.shape[-1]),
                                                               np.dtype(self.output.dtype))
    return self.output.dequantize(outputs)


def run_signature(signature, name: str, inputs: np.ndarray) -> dict[str, np.ndarray]:
  """Calls a loaded SavedModel signature on `inputs` in batches; returns its outputs as numpy arrays.

  Args:
    signature: `tf.saved_model.load(path).signatures[key]`.
    name: the signature's input name.
    inputs: raw inputs `(N, ...)` (numpy; strings as bytes objects).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  parts: dict[str, list[np.ndarray]] = {}
  for start in range(0, len(inputs), _SAVED_MODEL_BATCH):
    batch = inputs[start:start + _SAVED_MODEL_BATCH]
    outputs = signature(**{name: tf.constant(batch)})
    for key, value in outputs.items():
      parts.setdefault(key, []).append(value.numpy())
  return {key: np.concatenate(values) for key, values in parts.items()}


def output_failures(outputs: dict[str, np.ndarray], label_names) -> list[str]:
  """Checks the named outputs of a serving signature against each other; returns what is wrong.

  The outputs must be exactly `logits` (float32), `probabilities` (float32, their softmax), `class_ids` (int64,
  their argmax) and `classes` (`label_names[class_ids]`, as strings).
  """
  names = set(OUTPUT_NAMES)
  if set(outputs) != names:
    return [f"outputs {sorted(outputs)} != {sorted(names)}"]
  failures = []
  for name, dtype in (("logits", np.float32), ("probabilities", np.float32), ("class_ids", np.int64)):
    if outputs[name].dtype != dtype:
      failures.append(f"{name} dtype {outputs[name].dtype} != {np.dtype(dtype).name}")
  logits = outputs["logits"].astype(np.float64)
  if not np.array_equal(outputs["class_ids"], logits.argmax(axis=-1)):
    failures.append("class_ids differ from the argmax of the logits")
  softmax = np.exp(logits - logits.max(axis=-1, keepdims=True))
  softmax /= softmax.sum(axis=-1, keepdims=True)
  if not np.allclose(outputs["probabilities"], softmax, atol=1e-5):
    failures.append("probabilities differ from the softmax of the logits")
  expected = np.asarray(label_names, dtype=object)[outputs["class_ids"]]
  classes = np.array([value.decode("utf-8") for value in outputs["classes"]], dtype=object)
  wrong = int((classes != expected).sum())
  if wrong:
    failures.append(f"classes: {wrong} of {len(classes)} label strings differ from label_names[class_ids]")
  return failures
