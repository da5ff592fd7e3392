"""The `prefill` and `decode` signatures of a `.tflite` language model, with the cache held between calls."""

from __future__ import annotations

import dataclasses
import time

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
  gives what quantizing the whole real-valued cache at every step gave, value for value; a cache that is float on
  both sides moves as it is. No argument checks: `EdgeLanguageModel` checks what users give.

  The signatures are invoked through the interpreter's own calls (write the inputs in place, invoke, read the
  outputs in place), with their tensors allocated once here: LiteRT's `SignatureRunner.__call__` resizes and
  reallocates every input at every call, which made a transformer decode step cost 0.66 ms instead of 0.49 ms
  (novels preset, one thread, before the cache stayed in place). The numpy views onto the signatures' tensors are
  made once, after that one allocation, and held: LiteRT advises against holding them because a reallocation moves
  the tensors, and nothing reallocates these (the shapes are static and the interpreter is its owner's alone; a
  held view also makes LiteRT refuse a later `allocate_tensors` instead of moving them). Making the views afresh at
  every step cost 13 us of Python per step of the novels transformer, a sixth of its decode step. LiteRT never
  overwrites a subgraph's inputs while it runs, and each signature's tensors are its own, so the cache stays as
  written between calls.

  Args:
    interpreter: a LiteRT interpreter of the file.
    cache_names: names of the cache tensors (inputs of `decode`, outputs of both).

  Attributes:
    seconds: seconds spent in each signature so far; `calls`: invocations of each.
  """

  def __init__(self, interpreter, cache_names: tuple[str, ...]):
    self.cache_names = tuple(cache_names)
    self._signatures = {key: _Signature.of(interpreter, key) for key in (PREFILL, DECODE)}
    prefill, decode = self._signatures[PREFILL], self._signatures[DECODE]
    # (decode's input view, prefill's output, decode's output) per cache tensor.
    self._cache = [_CacheTensor(decode.inputs[name], decode.input_views[name], prefill.outputs[name],
                                prefill.output_views[name], decode.outputs[name], decode.output_views[name])
                   for name in self.cache_names]
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
    prefill = self._signatures[PREFILL]
    start = time.perf_counter()
    prefill.input_views["tokens"][0] = window
    prefill.wrapper.Invoke(prefill.subgraph)
    logits = prefill.logits()
    self._count(PREFILL, start)
    if keep_cache:
      for cache in self._cache:
        cache.fill()
      self._filled = True
    return logits

  def decode(self, token: int, position: int) -> np.ndarray:
    """Reads `token` at `position`; returns the float32 logits `(vocab,)` of the next token."""
    decode = self._signatures[DECODE]
    start = time.perf_counter()
    decode.input_views["tokens"][0, 0] = token
    decode.input_views["input_pos"][0] = position
    decode.wrapper.Invoke(decode.subgraph)
    logits = decode.logits()
    self._count(DECODE, start)
    for cache in self._cache:
      cache.add(position)
    return logits

  def _count(self, key: str, start: float) -> None:
    self.seconds[key] += time.perf_counter() - start
    self.calls[key] += 1


@dataclasses.dataclass(frozen=True)
class _Signature:
  """One signature's handles: its interpreter wrapper and subgraph, its tensors' quantization and views of them."""

  wrapper: object
  subgraph: int
  inputs: dict[str, TensorInfo]
  outputs: dict[str, TensorInfo]
  input_views: dict[str, np.ndarray]
  output_views: dict[str, np.ndarray]

  @classmethod
  def of(cls, interpreter, key: str) -> "_Signature":
    """Allocates signature `key`'s tensors (once: the shapes are static) and views them."""
    runner = interpreter.get_signature_runner(key)
    # pylint: disable=protected-access  (the runner's tensor indices)
    wrapper, subgraph = runner._interpreter_wrapper, runner._subgraph_index
    wrapper.AllocateTensors(subgraph)
    return cls(wrapper, subgraph,
               {name: TensorInfo.from_details(d) for name, d in runner.get_input_details().items()},
               {name: TensorInfo.from_details(d) for name, d in runner.get_output_details().items()},
               {name: wrapper.tensor(interpreter, index, subgraph) for name, index in runner._inputs.items()},
               {name: wrapper.tensor(interpreter, index, subgraph) for name, index in runner._outputs})

  def logits(self) -> np.ndarray:
    """The last call's logits `(vocab,)` as real values, in an array of their own."""
    return self.outputs["logits"].dequantize(self.output_views["logits"][0]).copy()


class _CacheTensor:
  """One cache tensor: where it is held (`decode`'s input) and the outputs that fill and extend it.

  Args:
    info, held: the tensor (`decode`'s input) and a view of it.
    prefilled_info, prefilled: `prefill`'s output of it, and a view.
    added_info, added: `decode`'s output of it, and a view: the whole tensor (an LSTM's states) or one position of it
      (a transformer's key or value).
  """

  def __init__(self, info: TensorInfo, held: np.ndarray, prefilled_info: TensorInfo, prefilled: np.ndarray,
               added_info: TensorInfo, added: np.ndarray):
    self.info, self.held = info, held
    self.prefilled_info, self.prefilled = prefilled_info, prefilled
    self.added_info, self.added = added_info, added
    self._whole = added.shape == held.shape
    self._added_as_held = not added_info.quantized and not info.quantized  # no conversion on the way

  def fill(self) -> None:
    """Takes a prefill's cache output as the whole cache."""
    self.held[...] = self._converted(self.prefilled_info, self.prefilled)

  def add(self, position: int) -> None:
    """Takes a decode step's output: the whole tensor, or the entry of `position`."""
    entry = self.added if self._added_as_held else self._converted(self.added_info, self.added)
    if self._whole:
      self.held[...] = entry
    else:
      self.held[:, position] = entry[:, 0]

  def _converted(self, source: TensorInfo, values: np.ndarray) -> np.ndarray:
    """An output's values as this tensor stores them (through real values when either side is quantized)."""
    if not source.quantized and not self.info.quantized:
      return values
    return self.info.quantize(source.dequantize(values))
