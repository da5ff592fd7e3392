"""The `prefill` and `decode` signatures of a `.tflite` language model, with the cache held between calls."""

from __future__ import annotations

import time

import numpy as np

from edge.model_metadata import DECODE, PREFILL, TensorInfo


class CachedSignatures:
  """Runs a file's `prefill` and `decode` signatures (`export.next_token_graph.generation_signatures`) and holds
  their cache as float32 numpy arrays between the calls.

  Each signature quantizes its inputs and dequantizes its outputs with its own scales (in `full_int8` the cache
  comes out as int8 with scales that differ from the next signature's inputs), so the cache is kept as real values
  and each call converts it. No argument checks: `EdgeLanguageModel` checks what users give.

  Args:
    interpreter: a LiteRT interpreter of the file.
    cache_names: names of the cache tensors (inputs of `decode`, outputs of both).

  Attributes:
    seconds: seconds spent in each signature so far; `calls`: invocations of each.
  """

  def __init__(self, interpreter, cache_names: tuple[str, ...]):
    self.cache_names = tuple(cache_names)
    self._runners = {}
    for key in (PREFILL, DECODE):
      runner = interpreter.get_signature_runner(key)
      self._runners[key] = (runner, {name: TensorInfo.from_details(d) for name, d in
                                     runner.get_input_details().items()},
                            {name: TensorInfo.from_details(d) for name, d in runner.get_output_details().items()})
    self._cache: dict[str, np.ndarray] = {}
    self.seconds = {PREFILL: 0.0, DECODE: 0.0}
    self.calls = {PREFILL: 0, DECODE: 0}

  @property
  def filled(self) -> bool:
    """Whether a prefill has filled the cache."""
    return bool(self._cache)

  def prefill(self, window: np.ndarray, keep_cache: bool = True) -> np.ndarray:
    """Reads an int32 right-padded window `(sequence_length,)`; returns the float32 logits `(vocab,)` after it.

    With `keep_cache=False` the cache of an earlier prefill stays as it was (a next-token query on the side)."""
    return self._run(PREFILL, {"tokens": np.asarray(window, np.int32)[None]}, keep_cache)

  def decode(self, token: int, position: int) -> np.ndarray:
    """Reads `token` at `position`; returns the float32 logits `(vocab,)` of the next token."""
    return self._run(DECODE, {"tokens": np.array([[token]], np.int32), "input_pos": np.array([position], np.int32),
                              **self._cache})

  def _run(self, key: str, inputs: dict[str, np.ndarray], keep_cache: bool = True) -> np.ndarray:
    runner, input_infos, output_infos = self._runners[key]
    values = {name: input_infos[name].quantize(value) for name, value in inputs.items()}
    start = time.perf_counter()
    outputs = runner(**values)
    self.seconds[key] += time.perf_counter() - start
    self.calls[key] += 1
    if keep_cache:
      self._cache = {name: output_infos[name].dequantize(outputs[name]) for name in self.cache_names}
    return output_infos["logits"].dequantize(outputs["logits"][0])
