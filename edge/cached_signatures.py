"""The `prefill` and `decode` signatures of a `.tflite` language model, with the cache held between calls."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from edge.model_metadata import DECODE, PREFILL, TensorInfo, prefill_keys


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

  A file may have shorter prefills beside `prefill` (`model_metadata.short_prefill_key`: a transformer's, whose
  prefill costs its whole static window however few tokens are real): each prefill runs on the shortest of them that
  holds the window's real tokens, writes the cache of the positions it read and sets the later ones to 0 (they are
  masked until a decode step writes them). Sliding the window re-reads half a window, so the slides of a generation cost
  about half (novels transformer, float32: 0.47 against 1.06 ms a prefill).

  Args:
    interpreter: a LiteRT interpreter of the file.
    cache_names: names of the cache tensors (inputs of `decode`, outputs of every prefill).

  Attributes:
    seconds: seconds spent in each signature so far; `calls`: invocations of each.
  """

  def __init__(self, interpreter, cache_names: tuple[str, ...]):
    self.cache_names = tuple(cache_names)
    self._decode = decode = _Signature.of(interpreter, DECODE)
    # Every prefill signature with the length of its window, shortest first.
    prefills = [_Signature.of(interpreter, key) for key in prefill_keys(interpreter.get_signature_list())]
    self._prefills = sorted(((signature.inputs["tokens"].shape[1], signature) for signature in prefills),
                            key=lambda entry: entry[0])
    self._cache = [_CacheTensor(name, decode.inputs[name], decode.input_views[name], decode.outputs[name],
                                decode.output_views[name]) for name in self.cache_names]
    self._filled = False
    self.seconds = {PREFILL: 0.0, DECODE: 0.0}
    self.calls = {PREFILL: 0, DECODE: 0}

  @property
  def filled(self) -> bool:
    """Whether a prefill has filled the cache."""
    return self._filled

  def prefill(self, window: np.ndarray, keep_cache: bool = True, whole: bool = False) -> np.ndarray:
    """Reads an int32 right-padded window `(sequence_length,)`; returns the float32 logits `(vocab,)` after it.

    With `keep_cache=False` the cache of an earlier prefill stays as it was (a next-token query on the side);
    `whole=True` reads it through the whole-window `prefill` even when a shorter one would hold it."""
    start = time.perf_counter()
    real = len(window) if whole else int(np.count_nonzero(window))
    length, prefill = next(entry for entry in self._prefills if entry[0] >= real)  # the last reads a whole window
    prefill.input_views["tokens"][0] = window[:length]
    prefill.wrapper.Invoke(prefill.subgraph)
    logits = prefill.logits()
    self._count(PREFILL, start)
    if keep_cache:
      for cache in self._cache:
        cache.fill(prefill.outputs[cache.name], prefill.output_views[cache.name])
      self._filled = True
    return logits

  def decode(self, token: int, position: int) -> np.ndarray:
    """Reads `token` at `position`; returns the float32 logits `(vocab,)` of the next token."""
    decode = self._decode
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
  """One cache tensor: where it is held (`decode`'s input), and what fills and extends it.

  Args:
    name: its name in the signatures.
    info, held: the tensor (`decode`'s input) and a view of it.
    added_info, added: `decode`'s output of it, and a view: the whole tensor (an LSTM's states) or one position of it
      (a transformer's key or value).
  """

  def __init__(self, name: str, info: TensorInfo, held: np.ndarray, added_info: TensorInfo, added: np.ndarray):
    self.name, self.info, self.held = name, info, held
    self.added_info, self.added = added_info, added
    self._zero = info.quantize(np.zeros((), np.float32))
    # Decided once, not at every step: `add` runs for every cache tensor at every generated token, and deciding there
    # cost 3 % of a character (novels transformer, float32, alternating).
    self._whole = added.shape == held.shape
    self._added_as_held = not added_info.quantized and not info.quantized  # no conversion on the way

  def fill(self, source: TensorInfo, values: np.ndarray) -> None:
    """Takes a prefill's cache output: the whole tensor (an LSTM's states), or the positions it read (the first
    `values.shape[1]` of a transformer's keys or values), the later ones set to 0. Those are never attended to, but
    they are read (every score of a step is, for the masking's floor): what an earlier text or the allocation left
    there (even NaN) must not reach the logits, and a text's logits must not depend on what came before it."""
    converted = self._converted(source, values)
    if values.shape == self.held.shape:
      self.held[...] = converted
    else:
      self.held[:, :values.shape[1]] = converted
      self.held[:, values.shape[1]:] = self._zero

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
