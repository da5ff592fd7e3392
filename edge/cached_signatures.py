"""The `prefill` and `decode` signatures of a `.tflite` language model, with the cache held between calls."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable

import numpy as np

from edge.model_metadata import DECODE, PREFILL, TensorInfo


class CachedSignatures:
  """Runs a file's `prefill` and `decode` signatures (`export.tflite.next_token_graph.generation_signatures`) and holds
  their cache between the calls: `prefill` fills it, and each `decode` adds what it returns (an LSTM's new states, or
  a transformer's key and value of the position, written there).

  The cache lives in the `decode` signature's own input tensors: a prefill writes its cache outputs there once, and a
  decode step writes only what it returns (one position of keys and values), so no step copies the whole cache into
  the interpreter (a transformer's cache is 384 KiB in the novels preset). Each signature quantizes its inputs and
  dequantizes its outputs with its own scales (in `full_int8` the cache comes out as int8 with scales that differ
  from the decode inputs'), so what moves from an output to a cache input is converted through real values, which
  gives what quantizing the whole real-valued cache at every step gave, value for value. No argument checks:
  `EdgeLanguageModel` checks what users give.

  The signatures are invoked through the interpreter's own calls (write the inputs in place, invoke, read each
  output), with their tensors allocated once here: LiteRT's `SignatureRunner.__call__` resizes and reallocates every
  input at every call, which made a transformer decode step cost 0.66 ms instead of 0.49 ms (novels preset, one
  thread, before the cache stayed in place). LiteRT never overwrites a subgraph's inputs while it runs, and each
  signature's tensors are its own, so the cache stays as written between calls.

  Args:
    interpreter: a LiteRT interpreter of the file.
    cache_names: names of the cache tensors (inputs of `decode`, outputs of both).

  Attributes:
    seconds: seconds spent in each signature so far; `calls`: invocations of each.
  """

  def __init__(self, interpreter, cache_names: tuple[str, ...]):
    self.cache_names = tuple(cache_names)
    self._signatures = {}
    for key in (PREFILL, DECODE):
      runner = interpreter.get_signature_runner(key)
      # pylint: disable=protected-access  (the runner's tensor indices; the shapes are static, so one allocation)
      wrapper, subgraph = runner._interpreter_wrapper, runner._subgraph_index
      wrapper.AllocateTensors(subgraph)
      inputs = {name: TensorInfo.from_details(d) for name, d in runner.get_input_details().items()}
      outputs = {name: TensorInfo.from_details(d) for name, d in runner.get_output_details().items()}
      # Numpy views onto the input tensors, made afresh for each call (LiteRT's advice: never held across calls).
      views = {name: functools.partial(wrapper.tensor, interpreter, index, subgraph)
               for name, index in runner._inputs.items()}
      self._signatures[key] = _Signature(wrapper, subgraph, inputs, outputs, views, dict(runner._outputs))
    self._filled = False
    self.seconds = {PREFILL: 0.0, DECODE: 0.0}
    self.calls = {PREFILL: 0, DECODE: 0}

  @property
  def filled(self) -> bool:
    """Whether a prefill has filled the cache."""
    return self._filled

  def prefill(self, window: np.ndarray, keep_cache: bool = True) -> np.ndarray:
    """Reads an int32 right-padded window `(sequence_length,)`; returns the float32 logits `(vocab,)` after it.

    With `keep_cache=False` the cache of an earlier prefill stays as it was (a next-token query on the side)."""
    prefill, decode = self._signatures[PREFILL], self._signatures[DECODE]
    start = time.perf_counter()
    prefill.views["tokens"]()[0] = window
    prefill.wrapper.Invoke(prefill.subgraph)
    logits = prefill.output("logits")[0]
    self._count(PREFILL, start)
    if keep_cache:
      for name in self.cache_names:
        decode.views[name]()[...] = decode.inputs[name].quantize(prefill.output(name))
      self._filled = True
    return logits

  def decode(self, token: int, position: int) -> np.ndarray:
    """Reads `token` at `position`; returns the float32 logits `(vocab,)` of the next token."""
    decode = self._signatures[DECODE]
    start = time.perf_counter()
    decode.views["tokens"]()[0, 0] = token
    decode.views["input_pos"]()[0] = position
    decode.wrapper.Invoke(decode.subgraph)
    logits = decode.output("logits")[0]
    self._count(DECODE, start)
    for name in self.cache_names:
      self._write(decode.views[name](), position, decode.inputs[name].quantize(decode.output(name)))
    return logits

  @staticmethod
  def _write(held: np.ndarray, position: int, entry: np.ndarray) -> None:
    """Puts what a decode step returns into the cache: a tensor of the cache's shape replaces it (an LSTM's
    states), one a single position long is written at `position` (a transformer's key or value)."""
    if entry.shape == held.shape:
      held[...] = entry
    else:
      held[:, position:position + 1] = entry

  def _count(self, key: str, start: float) -> None:
    self.seconds[key] += time.perf_counter() - start
    self.calls[key] += 1


@dataclasses.dataclass(frozen=True)
class _Signature:
  """One signature's handles: its interpreter wrapper and subgraph, its tensors' quantization, views of its inputs
  and the indices of its outputs."""

  wrapper: object
  subgraph: int
  inputs: dict[str, TensorInfo]
  outputs: dict[str, TensorInfo]
  views: dict[str, Callable[[], np.ndarray]]
  output_indices: dict[str, int]

  def output(self, name: str) -> np.ndarray:
    """Output `name` of the last call as real values (float32)."""
    return self.outputs[name].dequantize(self.wrapper.GetTensor(self.output_indices[name], self.subgraph))
