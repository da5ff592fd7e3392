"""Runs exported artifacts on held-out examples and measures them against the Keras model.

Figures of one artifact (`logit_figures`): `max_abs_logit_error`, `mean_abs_logit_error` (over every logit of every
example), `top1_agreement` (share of examples where the artifact's top class is Keras'), `accuracy` and
`reference_accuracy` (Keras') on the true labels, and `num_examples`.
"""

from __future__ import annotations

import numpy as np

from edge.tflite_runner import TfliteRunner

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


class GateRunner:
  """Runs a `.tflite` classifier on the test examples with the edge runtime's loop (`edge.tflite_runner`): one
  example at a time (batch 1), as an edge device would, timed; and, when the file takes any batch size,
  `batched_logits` on a second interpreter, loaded at once (the file may be moved once it is loaded).

  Args:
    path: the `.tflite` file.
    num_threads: interpreter threads.

  Raises:
    ValueError, RuntimeError: LiteRT cannot load the model or allocate its tensors.
  """

  def __init__(self, path: str, num_threads: int = 1):
    self.runner = TfliteRunner.from_file(path, num_threads)
    self.input, self.output = self.runner.input, self.runner.output
    self._path = path
    self._batched = TfliteRunner.from_file(path, num_threads) if self.any_batch_size else None

  @property
  def any_batch_size(self) -> bool:
    """Whether the file's batch dimension is free (-1 in its signature), so that `batched_logits` can run it."""
    return self.runner.any_batch_size

  @property
  def seconds_per_example(self) -> float:
    """Mean time of one example over all calls of `logits` so far (0 before the first example)."""
    return self.runner.seconds_per_example

  def logits(self, inputs: np.ndarray) -> np.ndarray:
    """Returns float32 logits `(N, classes)` for raw `inputs` `(N, ...)`, one example at a time; adds their time to
    `seconds_per_example`."""
    return self.runner.logits(inputs, batch_size=1)

  def batched_logits(self, inputs: np.ndarray, batch_size: int) -> np.ndarray:
    """Returns the float32 logits of `inputs` run `batch_size` at a time (the last batch holds the rest); not timed.

    Raises:
      ValueError: the file has a fixed batch size (`any_batch_size` is false).
    """
    if self._batched is None:
      raise ValueError(f"{self._path} has a fixed batch size of {self.input.shape[0]}.")
    return self._batched.logits(inputs, batch_size=batch_size, timed=False)


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
