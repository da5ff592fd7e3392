"""Milliseconds per generated character on LiteRT: full-window decoding (the next-token signature, a whole window
per character) against the cached path (`prefill` once, then `decode` per character; half a window prefilled again
when the window is full), both through `EdgeLanguageModel` and the shared generation loop, in one process.

The figures `generation_speedup_transformer` and `generation_speedup_lstm` are the median over alternating rounds of
the ratio full-window ms/char over cached ms/char, for `GENERATED_CHARACTERS` characters after a short prompt.
"""

from __future__ import annotations

import dataclasses
import time

from benchmark.goal import Goal
from benchmark.sample_summary import SampleSummary
from edge.edge_language_model import EdgeLanguageModel
from edge.text_generator import TextGenerator

GENERATED_CHARACTERS = 256
GOALS = {
    "transformer_lm": Goal("generation_speedup_transformer", "transformer_lm generation, full window / decode "
                           "(LiteRT float32, 1 thread, ms per character)", "x", ">=", 10.0),
    "lstm_lm": Goal("generation_speedup_lstm", "lstm_lm generation, full window / decode (LiteRT float32, "
                    "1 thread, ms per character)", "x", ">=", 30.0),
}


@dataclasses.dataclass(frozen=True)
class GenerationSpeedup:
  """Measured ms per character of both paths, and their ratio per round.

  Attributes:
    full_window_ms: ms per character of full-window decoding, per round.
    cached_ms: ms per character of the cached path, per round.
    speedups: full_window_ms / cached_ms of each round.
    prefill_ms, decode_ms: mean ms of one prefill and of one decode step on the cached path.
    prefills, decodes: calls of each in one cached generation.
  """

  full_window_ms: tuple[float, ...]
  cached_ms: tuple[float, ...]
  speedups: tuple[float, ...]
  prefill_ms: float
  decode_ms: float
  prefills: int
  decodes: int

  @property
  def speedup(self) -> SampleSummary:
    return SampleSummary.of(self.speedups)


def measure(model_path: str, prompt: str, rounds: int = 5, num_threads: int = 1,
            characters: int = GENERATED_CHARACTERS) -> GenerationSpeedup:
  """Generates `characters` greedy characters after `prompt` both ways, alternating, `rounds` times (plus one
  warm-up round of each)."""
  model = EdgeLanguageModel(model_path, num_threads=num_threads)
  full_window = TextGenerator(model.next_token_logits, model.vocabulary, model.sequence_length)
  cached = model.generator()
  full_ms, cached_ms = [], []
  for round_index in range(rounds + 1):
    timings = []
    for generator in (full_window, cached):
      start = time.perf_counter()
      generator.generate(prompt, characters)
      timings.append(1000 * (time.perf_counter() - start) / characters)
    if round_index:  # the first round warms up
      full_ms.append(timings[0])
      cached_ms.append(timings[1])
  signatures = model.signatures
  signatures.calls.update(prefill=0, decode=0)
  signatures.seconds.update(prefill=0.0, decode=0.0)
  cached.generate(prompt, characters)
  calls, seconds = signatures.calls, signatures.seconds
  return GenerationSpeedup(
      full_window_ms=tuple(full_ms), cached_ms=tuple(cached_ms),
      speedups=tuple(float(f / c) for f, c in zip(full_ms, cached_ms)),
      prefill_ms=1000 * seconds["prefill"] / max(calls["prefill"], 1),
      decode_ms=1000 * seconds["decode"] / max(calls["decode"], 1), prefills=calls["prefill"],
      decodes=calls["decode"])
