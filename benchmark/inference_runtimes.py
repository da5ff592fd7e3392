"""Every runtime of exported models, loaded side by side in one process, timed on demand (a worker task)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from edge.op_delegation import OpDelegation, interpreter_without_xnnpack
from edge.tflite_runner import TfliteRunner

KERAS_RUNTIMES = ("keras_predict", "tf_function", "saved_model")
# The LiteRT runtimes are named after the export mode they run: litert_float32, litert_full_int8, ...
LITERT_PREFIX = "litert_"
_ACCURACY_BATCH = 256


class _LiteRtModel:
  """One `.tflite` file in a LiteRT interpreter, called through the edge runtime's own loop (`edge.tflite_runner`)."""

  def __init__(self, path: str, num_threads: int):
    self.path = path
    self.num_threads = num_threads
    self.runner = TfliteRunner.from_file(path, num_threads)
    self.interpreter = self.runner.interpreter
    self.input, self.output = self.runner.input, self.runner.output

  def prepare(self, inputs: np.ndarray) -> np.ndarray:
    """Raw inputs -> what the input tensor stores (quantized when it is): done once, before timing."""
    return self.runner.prepare(inputs)

  def call(self, value: np.ndarray, runner: TfliteRunner | None = None, invoke: bool = True) -> np.ndarray:
    """One invocation on a prepared batch (`TfliteRunner.invoke`: the variables are reset first, as the edge
    runtime does); `runner` another interpreter of the file. `invoke=False` does everything but run the model."""
    return (runner or self.runner).invoke(value, invoke=invoke)

  def batched(self, batch_size: int) -> tuple[TfliteRunner | None, str]:
    """A runner of the file allocated for `batch_size`, or None and why the model cannot run batches."""
    if self.input.shape[0] > 0:
      return None, f"the model's input has a fixed batch size of {self.input.shape[0]}"
    runner = TfliteRunner.from_file(self.path, self.num_threads)
    runner.resize(batch_size)
    return runner, ""

  def without_xnnpack(self) -> TfliteRunner:
    """A runner of the file on LiteRT's own kernels (no XNNPACK delegate)."""
    interpreter = interpreter_without_xnnpack(self.path, self.num_threads)
    return TfliteRunner(interpreter, interpreter.get_input_details()[0], interpreter.get_output_details()[0])


class InferenceRuntimes:
  """Loads, per architecture, the Keras model, a `tf.function` of it, the serving SavedModel and the `.tflite`
  files, all in this process (pinned to `threads`), and times single calls of any of them on the same test inputs.

  Args:
    architectures: per architecture name, `model_dir` (trained), `saved_model` (a serving version directory) and
      `tflite` (mode -> file).
    threads: threads of TensorFlow (pinned by the worker) and of every LiteRT interpreter.
    examples: test examples to load (the first ones of the test split); latency runs use the first few of them.
    warmup_calls: untimed calls of every runtime before timing.
  """

  def __init__(self, architectures: dict[str, dict], threads: int, examples: int, warmup_calls: int = 5):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from tfmodels import data as data_lib  # pylint: disable=g-import-not-at-top
    from tfmodels.training.model_artifact import ModelArtifact  # pylint: disable=g-import-not-at-top

    self.threads = threads
    self.inputs: dict[str, np.ndarray] = {}
    self.labels: dict[str, np.ndarray] = {}
    self.raw: dict[str, np.ndarray] = {}
    self.runtimes: dict[str, dict[str, Callable[[np.ndarray], np.ndarray]]] = {}
    self.litert: dict[str, dict[str, _LiteRtModel]] = {}
    self._prepared: dict[tuple[str, str], np.ndarray] = {}
    for name, paths in architectures.items():
      artifact = ModelArtifact.load(paths["model_dir"])
      model = artifact.load_model()
      features, labels = data_lib.load_dataset(artifact.config.data).split_arrays("test")
      features, labels = features[:examples], labels[:examples]
      self.raw[name], self.labels[name] = features, labels
      self.inputs[name] = np.asarray(artifact.preprocessor()(features))
      spec = model.input_signature()
      function = tf.function(lambda x, model=model: model(x, training=False), input_signature=[spec])
      loaded = tf.saved_model.load(paths["saved_model"])
      signature = loaded.signatures["serving_default" if artifact.kind == "image" else "serving_token_ids"]
      argument = next(iter(signature.structured_input_signature[1]))
      self.runtimes[name] = {
          "keras_predict": lambda x, model=model: np.asarray(model.predict(x, verbose=0, batch_size=len(x))),
          "tf_function": lambda x, function=function: function(tf.constant(x)).numpy(),
          "saved_model": lambda x, signature=signature, argument=argument, loaded=loaded: (
              signature(**{argument: tf.constant(x)})["logits"].numpy()),
      }
      self.litert[name] = {mode: _LiteRtModel(path, threads) for mode, path in paths["tflite"].items()}
      for mode, model_file in self.litert[name].items():
        runtime = LITERT_PREFIX + mode
        self._prepared[name, runtime] = model_file.prepare(self.inputs[name])
        self.runtimes[name][runtime] = lambda value, model_file=model_file: model_file.call(value)
      for runtime in self.runtimes[name]:
        for index in range(warmup_calls):
          self._call(name, runtime, index % len(labels))
    self.info = {"threads": threads, "examples": {name: int(len(labels)) for name, labels in self.labels.items()},
                 "runtimes": {name: list(runtimes) for name, runtimes in self.runtimes.items()}}

  def latency(self, architecture: str, runtime: str, count: int) -> list[float]:
    """Seconds of each of `count` single-example calls (batch 1) on the first test examples."""
    seconds = []
    for index in range(min(count, len(self.labels[architecture]))):
      value = self._input(architecture, runtime, index, index + 1)
      start = time.perf_counter()
      self.runtimes[architecture][runtime](value)
      seconds.append(time.perf_counter() - start)
    return seconds

  def throughput(self, architecture: str, runtime: str, batch_size: int, batches: int) -> dict:
    """Examples per second over `batches` calls of `batch_size` examples, or why the runtime cannot batch."""
    total = len(self.labels[architecture])
    if total < batch_size:
      return {"supported": False, "reason": f"fewer than {batch_size} test examples loaded"}
    call = self.runtimes[architecture][runtime]
    if runtime.startswith(LITERT_PREFIX):
      model_file = self.litert[architecture][runtime[len(LITERT_PREFIX):]]
      runner, reason = model_file.batched(batch_size)
      if runner is None:
        return {"supported": False, "reason": reason}
      call = lambda value: model_file.call(value, runner)
    starts = [(index * batch_size) % (total - batch_size + 1) for index in range(batches + 1)]
    call(self._input(architecture, runtime, starts[0], starts[0] + batch_size))  # warm-up at this batch size
    values = [self._input(architecture, runtime, start, start + batch_size) for start in starts[1:]]
    start_time = time.perf_counter()
    for value in values:
      call(value)
    return {"supported": True, "examples_per_second": batch_size * batches / (time.perf_counter() - start_time)}

  def accuracy(self, architecture: str, runtime: str) -> float:
    """Accuracy of the runtime on every loaded test example (the TensorFlow runtimes in batches of 256, LiteRT at
    batch 1, as its files are exported)."""
    labels = self.labels[architecture]
    step = 1 if runtime.startswith(LITERT_PREFIX) else _ACCURACY_BATCH
    predictions = [np.asarray(self.runtimes[architecture][runtime](self._input(architecture, runtime, start,
                                                                             start + step))).argmax(axis=-1)
                   for start in range(0, len(labels), step)]
    return float((np.concatenate(predictions) == labels).mean())

  def delegation(self, architecture: str, count: int, rounds: int) -> dict:
    """Per LiteRT mode: which operators XNNPACK runs, and seconds per batch-1 call with XNNPACK, with LiteRT's own
    kernels only, and without the invocation (the fixed cost of a call), alternating."""
    results = {}
    for mode, model_file in self.litert[architecture].items():
      plain = model_file.without_xnnpack()
      value = self._input(architecture, LITERT_PREFIX + mode, 0, 1)
      timings: dict[str, list[float]] = {"xnnpack": [], "builtin_kernels": [], "call_without_invoke": []}
      for _ in range(rounds):
        for key, runner in (("xnnpack", model_file.runner), ("builtin_kernels", plain)):
          start = time.perf_counter()
          for _ in range(count):
            model_file.call(value, runner)
          timings[key].append((time.perf_counter() - start) / count)
        start = time.perf_counter()
        for _ in range(count):  # what a call costs besides the model: setting the input, resetting, reading
          model_file.call(value, invoke=False)
        timings["call_without_invoke"].append((time.perf_counter() - start) / count)
      results[mode] = {**OpDelegation.of_interpreter(model_file.interpreter).to_dict(),
                       "seconds": {key: float(np.median(values)) for key, values in timings.items()}}
    return results

  def sample(self, architecture: str, path: str) -> dict:
    """Writes the first test image to `path` (PNG) and returns `{"image": path}`, or returns `{"text": ...}`."""
    raw = self.raw[architecture][0]
    if isinstance(raw, bytes):
      return {"text": raw.decode("utf-8")}
    from PIL import Image  # pylint: disable=g-import-not-at-top
    pixels = np.asarray(raw, np.uint8)
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(path)
    return {"image": path}

  def _call(self, architecture: str, runtime: str, index: int) -> np.ndarray:
    return self.runtimes[architecture][runtime](self._input(architecture, runtime, index, index + 1))

  def _input(self, architecture: str, runtime: str, start: int, stop: int) -> np.ndarray:
    prepared = self._prepared.get((architecture, runtime))
    return (prepared if prepared is not None else self.inputs[architecture])[start:stop]
