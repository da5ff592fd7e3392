"""The `prefill` and `decode` signatures of a `.tflite` language model, with the cache held between calls."""

from __future__ import annotations

import time

import numpy as np

from edge.model_metadata import DECODE, PREFILL, TensorInfo


class CachedSignatures:
  """Runs a file's `prefill` and `decode` signatures (`export.tflite.next_token_graph.generation_signatures`) and holds
  their cache as float32 numpy arrays between the calls: `prefill` fills it, and each `decode` adds what it returns
  (an LSTM's new states, or a transformer's key and value of the position, written there).

  Each signature quantizes its inputs and dequantizes its outputs with its own scales (in `full_int8` the cache
  comes out as int8 with scales that differ from the next signature's inputs), so the cache is kept as real values
  and each call converts it. No argument checks: `EdgeLanguageModel` checks what users give.

  The signatures are invoked through the interpreter's own calls (set each input, invoke, read each output), with
  their tensors allocated once here: LiteRT's `SignatureRunner.__call__` resizes and reallocates every input at
  every call, which made a transformer decode step cost 0.66 ms instead of 0.49 ms (novels preset, one thread).

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
      # pylint: disable=protected-access  (the runner's tensor indices; the shapes are static, so one allocation)
      runner._interpreter_wrapper.AllocateTensors(runner._subgraph_index)
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

  def _write(self, position: int, entries: dict[str, np.ndarray]) -> None:
    """Puts what a decode step returns into the cache: a tensor of the cache's shape replaces it (an LSTM's
    states), one a single position long is written at `position` (a transformer's key or value)."""
    for name, entry in entries.items():
      held = self._cache[name]
      if entry.shape == held.shape:
        self._cache[name] = entry
      else:
        held[:, position:position + 1] = entry

  def _run(self, key: str, inputs: dict[str, np.ndarray], keep_cache: bool = True) -> np.ndarray:
    runner, input_infos, output_infos = self._runners[key]
    # pylint: disable=protected-access
    wrapper, subgraph = runner._interpreter_wrapper, runner._subgraph_index
    start = time.perf_counter()
    for name, value in inputs.items():
      wrapper.SetTensor(runner._inputs[name], input_infos[name].quantize(value), subgraph)
    wrapper.Invoke(subgraph)
    outputs = {name: wrapper.GetTensor(index, subgraph) for name, index in runner._outputs}
    self.seconds[key] += time.perf_counter() - start
    self.calls[key] += 1
    if keep_cache and key == PREFILL:
      self._cache = {name: output_infos[name].dequantize(outputs[name]) for name in self.cache_names}
    elif keep_cache:
      self._write(inputs["input_pos"][0], {name: output_infos[name].dequantize(outputs[name])
                                           for name in self.cache_names})
    return output_infos["logits"].dequantize(outputs["logits"][0])
