"""Scores next-token windows through a `.tflite` language model's `prefill` and `decode` signatures, the path text
generation runs on, with the edge runtime's own `CachedSignatures`."""

from __future__ import annotations

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from edge.cached_signatures import CachedSignatures
from edge.model_metadata import DECODE, PREFILL, TensorInfo


def prefill_length(length: int) -> int:
  """Tokens of a window of `length` real tokens that `DecodePathRunner` prefills: the first half, rounded up (the
  rest are decoded one by one)."""
  return (length + 1) // 2


class DecodePathRunner:
  """`verification.GateRunner`'s interface on the cached path: the logits after each window's last real token come
  from prefilling its first half (`prefill_length`) and decoding the rest one token at a time, so every figure of a
  window of length >= 2 goes through `decode`, after up to half a window of decode steps on the cache. Every other
  window is prefilled through the whole-window `prefill`, the others through the shortest prefill signature that
  holds their first half (a transformer's `prefill_<n>`), so the figures cover every prefill of the file.

  `input` and `output` describe the `prefill` signature's `tokens` and `logits` (the metadata's `input` and `output`).

  Args:
    path: the `.tflite` file, with `prefill` and `decode` signatures.
    cache_names: the cache tensors, in order.
    num_threads: interpreter threads.

  Attributes:
    seconds_per_example: mean seconds of one decode step (what a generated character costs), after `logits`.
    seconds_per_prefill: mean seconds of one prefill.

  Raises:
    ValueError, RuntimeError: LiteRT cannot load the model, or a signature is missing.
  """

  def __init__(self, path: str, cache_names: tuple[str, ...], num_threads: int = 1):
    interpreter = Interpreter(model_path=path, num_threads=num_threads)
    signatures = interpreter.get_signature_list()
    missing = {PREFILL, DECODE} - set(signatures)
    if missing:
      raise ValueError(f"{path} lacks the signature(s) {sorted(missing)}; it has {sorted(signatures)}.")
    self.signatures = signatures
    prefill = interpreter.get_signature_runner(PREFILL)
    self.input = TensorInfo.from_details(prefill.get_input_details()["tokens"])
    self.output = TensorInfo.from_details(prefill.get_output_details()["logits"])
    self.cached = CachedSignatures(interpreter, cache_names)
    self.seconds_per_example = 0.0
    self.seconds_per_prefill = 0.0

  def logits(self, windows: np.ndarray) -> np.ndarray:
    """float32 logits `(N, vocab)` after the last real token of each right-padded int32 window `(N, T)`."""
    results = []
    for index, window in enumerate(np.asarray(windows, np.int32)):
      length = int(np.count_nonzero(window))
      first = prefill_length(max(length, 1))
      logits = self.cached.prefill(np.where(np.arange(len(window)) < first, window, 0), whole=index % 2 == 1)
      for position in range(first, length):
        logits = self.cached.decode(int(window[position]), position)
      results.append(logits)
    calls, seconds = self.cached.calls, self.cached.seconds
    self.seconds_per_example = seconds[DECODE] / max(calls[DECODE], 1)
    self.seconds_per_prefill = seconds[PREFILL] / max(calls[PREFILL], 1)
    return np.stack(results) if results else np.zeros((0, self.output.shape[-1]), np.float32)
