"""Text generation on LiteRT: the full-window next-token file against the exported prefill/decode file, per mode.

`full_window_file` converts the language model as the export wrote it before the cached signatures: one next-token
subgraph that reads a whole window per character (an `LstmLm` as fused LSTM ops, a `TransformerLm` with
quantization-friendly masking: `export.tflite.next_token_graph.tflite_position_logits`), float32. `measure_speedup` then
generates `GENERATED_CHARACTERS` greedy characters after a prompt with both files, in alternating rounds, one thread:
the full window through `TextGenerator` over that file's next-token function (one window per character), the
exported float32 file through `EdgeLanguageModel.generator()` (prefill once, a decode step per character, half a
window prefilled again whenever the window is full: what users run). The figure is the median of the rounds' ratios
of milliseconds per character.

`measure_modes` times every exported mode: the prefill of a prompt of a whole window, and characters per second of
the same cached generation. `measure_serving` times the SavedModel's `generate` signature against the same loop over
whole windows (`GraphTextGenerator` over the Keras forward pass: what the signature ran before).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time

import numpy as np

from benchmark.sample_summary import SampleSummary
from edge.char_vocabulary import PADDING
from edge.edge_language_model import EdgeLanguageModel
from edge.text_generator import TextGenerator

GENERATED_CHARACTERS = 256
_SERVING_CHARACTERS = 64


@dataclasses.dataclass(frozen=True)
class GenerationSpeedup:
  """Milliseconds per character of both paths, and their ratio per round.

  Attributes:
    full_window_ms: ms per character of full-window decoding, per round.
    cached_ms: ms per character of the cached path, per round.
    speedups: full_window_ms / cached_ms of each round.
    prefill_ms, decode_ms: mean ms of one prefill and of one decode step on the cached path, over the rounds.
    prefills, decodes: calls of each in one cached generation.
    loop_ms: the rest of the cached path's mean ms per character: Python around the calls (the generation loop,
      sampling, writing the cache).
  """

  full_window_ms: tuple[float, ...]
  cached_ms: tuple[float, ...]
  speedups: tuple[float, ...]
  prefill_ms: float
  decode_ms: float
  prefills: int
  decodes: int
  loop_ms: float

  @property
  def speedup(self) -> SampleSummary:
    return SampleSummary.of(self.speedups)

  def to_dict(self) -> dict:
    return {**dataclasses.asdict(self), "median_speedup": self.speedup.median}


def full_window_file(model_dir: str, work_dir: str) -> str:
  """Converts the full-window next-token model of a trained language model to a float32 `.tflite`; returns its path.

  Raises:
    RuntimeError: the conversion failed.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  from export.tflite.next_token_graph import next_token_logits, tflite_position_logits  # pylint: disable=g-import-not-at-top
  from export.tflite import tflite_conversion  # pylint: disable=g-import-not-at-top
  from tfmodels.training.model_artifact import ModelArtifact  # pylint: disable=g-import-not-at-top

  artifact = ModelArtifact.load(model_dir)
  model = artifact.load_model()
  position_logits = tflite_position_logits(model)
  saved_model = os.path.join(work_dir, "full_window_saved_model")
  tflite_conversion.write_conversion_saved_model(lambda token_ids: next_token_logits(position_logits, token_ids),
                               tf.TensorSpec((1, artifact.config.data.sequence_length), tf.int32, name="token_ids"),
                               saved_model)
  output = os.path.join(work_dir, "full_window_float32.tflite")
  result = tflite_conversion.convert_in_subprocess(saved_model, "float32", "text", "", output)
  if not result.succeeded:
    raise RuntimeError(f"The full-window file did not convert: {result.failure()}")
  return output


class FullWindowFile:
  """The next-token function of a `full_window_file` (a whole window per call), as `TextGenerator` takes it."""

  def __init__(self, path: str, num_threads: int = 1):
    from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top

    self._interpreter = Interpreter(model_path=path, num_threads=num_threads)
    self._interpreter.allocate_tensors()
    self._input = self._interpreter.get_input_details()[0]["index"]
    self._output = self._interpreter.get_output_details()[0]["index"]

  def __call__(self, window: np.ndarray, length: int) -> np.ndarray:
    del length  # read from the padding
    self._interpreter.set_tensor(self._input, np.asarray(window, np.int32)[None])
    self._interpreter.reset_all_variables()  # fused LSTMs keep their state in variable tensors
    self._interpreter.invoke()
    return self._interpreter.get_tensor(self._output)[0]


def measure_speedup(full_window_path: str, cached_path: str, prompt: str, rounds: int = 5, num_threads: int = 1,
                    characters: int = GENERATED_CHARACTERS) -> GenerationSpeedup:
  """Generates `characters` greedy characters after `prompt` both ways, alternating, `rounds` times (after one
  warm-up round of each)."""
  model = EdgeLanguageModel(cached_path, num_threads=num_threads)
  full_window = TextGenerator(FullWindowFile(full_window_path, num_threads), model.vocabulary,
                              model.sequence_length)
  cached = model.generator()
  full_ms, cached_ms = [], []
  signatures = model.signatures
  for round_index in range(rounds + 1):
    if round_index == 1:  # the first round warms up: the signatures' calls and seconds count from here
      signatures.calls.update(prefill=0, decode=0)
      signatures.seconds.update(prefill=0.0, decode=0.0)
    timings = []
    for generator in (full_window, cached):
      start = time.perf_counter()
      generator.generate(prompt, characters)
      timings.append(1000 * (time.perf_counter() - start) / characters)
    if round_index:
      full_ms.append(timings[0])
      cached_ms.append(timings[1])
  calls, seconds = signatures.calls, signatures.seconds
  return GenerationSpeedup(
      full_window_ms=tuple(full_ms), cached_ms=tuple(cached_ms),
      speedups=tuple(float(f / c) for f, c in zip(full_ms, cached_ms)),
      prefill_ms=1000 * seconds["prefill"] / max(calls["prefill"], 1),
      decode_ms=1000 * seconds["decode"] / max(calls["decode"], 1), prefills=calls["prefill"] // rounds,
      decodes=calls["decode"] // rounds,
      loop_ms=statistics.mean(cached_ms) - 1000 * (seconds["prefill"] + seconds["decode"]) / (rounds * characters))


def measure_modes(tflite_paths: dict[str, str], prompt: str, rounds: int = 5, num_threads: int = 1,
                  characters: int = GENERATED_CHARACTERS) -> dict[str, dict]:
  """Per mode: file size, the median prefill of a window-long prompt, decode ms and characters per second of cached
  generation of `characters` characters after `prompt` (medians of `rounds`, after a warm-up)."""
  results = {}
  for mode, path in tflite_paths.items():
    model = EdgeLanguageModel(path, num_threads=num_threads)
    generator = model.generator()
    window = np.resize(model.vocabulary.encode(prompt), model.sequence_length).astype(np.int32)
    window[window == PADDING] = 2  # a prompt of a whole window, no padding
    prefill_ms, per_second = [], []
    for round_index in range(rounds + 1):
      start = time.perf_counter()
      model.prefill(window, model.sequence_length)
      prefill = 1000 * (time.perf_counter() - start)
      start = time.perf_counter()
      generator.generate(prompt, characters)
      if round_index:
        prefill_ms.append(prefill)
        per_second.append(characters / (time.perf_counter() - start))
    calls, seconds = _counted_generation(model, generator, prompt, characters)
    results[mode] = {"size_bytes": os.path.getsize(path), "prefill_ms": statistics.median(prefill_ms),
                     "decode_ms": 1000 * seconds["decode"] / max(calls["decode"], 1),
                     "characters_per_s": statistics.median(per_second), "prefills": calls["prefill"],
                     "decodes": calls["decode"]}
  return results


def measure_serving(model_dir: str, saved_model_dir: str, prompt: str, rounds: int = 3,
                    characters: int = _SERVING_CHARACTERS) -> dict:
  """ms per character of the SavedModel's `generate` signature (cached) and of the same loop over whole windows,
  alternating, greedy, one prompt; medians of `rounds` after a warm-up."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  from export.serving.graph_text_generator import GraphTextGenerator  # pylint: disable=g-import-not-at-top
  from export.serving.language_model_saved_model import GENERATE_INPUTS  # pylint: disable=g-import-not-at-top
  from export.tflite.next_token_graph import keras_position_logits  # pylint: disable=g-import-not-at-top
  from tfmodels.training.model_artifact import ModelArtifact  # pylint: disable=g-import-not-at-top

  artifact = ModelArtifact.load(model_dir)
  full_window = GraphTextGenerator(keras_position_logits(artifact.load_model()), artifact.char_vocabulary(),
                                   artifact.config.data.sequence_length)
  before = tf.function(full_window.generate, input_signature=[
      tf.TensorSpec((None,), dtype, name=name) for name, dtype in GENERATE_INPUTS.items()])
  after = tf.saved_model.load(saved_model_dir).signatures["generate"]
  inputs = {"prompt": tf.constant([prompt]), "max_tokens": tf.constant([characters]),
            "temperature": tf.constant([0.0]), "top_k": tf.constant([0]), "top_p": tf.constant([1.0]),
            "seed": tf.constant([0])}
  before_ms, after_ms = [], []
  for round_index in range(rounds + 1):
    timings = []
    for function in (before, after):
      start = time.perf_counter()
      function(**inputs)
      timings.append(1000 * (time.perf_counter() - start) / characters)
    if round_index:
      before_ms.append(timings[0])
      after_ms.append(timings[1])
  return {"full_window_ms": statistics.median(before_ms), "cached_ms": statistics.median(after_ms),
          "characters": characters, "rounds": rounds}


def _counted_generation(model: EdgeLanguageModel, generator: TextGenerator, prompt: str,
                        characters: int) -> tuple[dict, dict]:
  """Calls and seconds of each signature in one generation."""
  signatures = model.signatures
  signatures.calls.update(prefill=0, decode=0)
  signatures.seconds.update(prefill=0.0, decode=0.0)
  generator.generate(prompt, characters)
  return dict(signatures.calls), dict(signatures.seconds)
