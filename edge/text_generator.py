"""The generation loop of the language models, shared by Keras, the SavedModel check and the edge runtime."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from edge.char_vocabulary import PADDING, UNKNOWN, CharVocabulary
from edge.edge_error import EdgeError
from edge.next_token_sampler import NextTokenSampler

# (window: int32 (sequence_length,) right-padded with 0, length: real tokens in it) -> (vocab_size,) logits of the
# token after the last real one.
NextTokenLogits = Callable[[np.ndarray, int], np.ndarray]


@runtime_checkable
class CachedLanguageModel(Protocol):
  """A language model that holds a cache (keys and values, or recurrent states) between calls.

  `prefill(window, length)` starts over: it reads a window as `NextTokenLogits` does, fills the cache and returns
  the logits of the token after its last real one. `decode(token, position)` reads one token at `position` (the
  length of the context so far, below `sequence_length`), extends the cache and returns the logits of the next one.
  """

  def prefill(self, window: np.ndarray, length: int) -> np.ndarray:
    ...

  def decode(self, token: int, position: int) -> np.ndarray:
    ...


@dataclasses.dataclass(frozen=True)
class Generation:
  """The result of one generation.

  Attributes:
    prompt: the prompt as given.
    text: the generated continuation (without the prompt).
    token_ids: ids of the generated tokens.
    unknown_characters: prompt characters the vocabulary lacks (read as the unknown token).
  """

  prompt: str
  text: str
  token_ids: tuple[int, ...]
  unknown_characters: int


class TextGenerator:
  """Extends a prompt token by token with a language model over a static context window.

  The prompt's last `sequence_length` tokens are read at once (`prefill`, right-padded with 0 when there are
  fewer), then every new token is read on its own (`decode` at the next position), so with a cached model a token
  costs one step, not a window. The logits after the last token read choose the next one (`NextTokenSampler`);
  padding and the unknown token are never generated.

  When the window is full the context slides: the last `reprefill_length` tokens are read again by `prefill` (the
  older ones drop out), and decoding goes on from there. The default for a cached model, half a window, costs one
  prefill per `sequence_length / 2` tokens; Keras' cached path, the `generate` serving signature and the edge
  runtime all slide so, and give the same greedy text. The text differs from full-window decoding (which re-reads
  the last `sequence_length` tokens for every token) once the first slide happens; `reprefill_length=
  sequence_length` is full-window decoding exactly, at one prefill per token past the window. A plain next-token
  function re-reads its whole window for every token anyway, so it slides by one token, as full-window decoding does.

  Args:
    model: a `CachedLanguageModel`, or a next-token function of (window, length) -> logits.
    vocabulary: the model's character vocabulary.
    sequence_length: the model's context window.
    reprefill_length: tokens read again when the window is full, 1..sequence_length; default: half a window for a
      cached model (`default_reprefill_length`), the whole window for a next-token function.
  """

  def __init__(self, model: CachedLanguageModel | NextTokenLogits, vocabulary: CharVocabulary, sequence_length: int,
               reprefill_length: int | None = None):
    cached = isinstance(model, CachedLanguageModel)
    self.model = model if cached else _WindowFunction(model)
    self.vocabulary = vocabulary
    self.sequence_length = sequence_length
    if reprefill_length is None:
      reprefill_length = default_reprefill_length(sequence_length) if cached else sequence_length
    if not 1 <= reprefill_length <= sequence_length:
      raise EdgeError(f"reprefill_length={reprefill_length}: give 1..{sequence_length} (the context window).")
    self.reprefill_length = reprefill_length

  def generate(self, prompt: str, max_tokens: int, temperature: float = 0.0, top_k: int = 0, top_p: float = 1.0,
               seed: int | None = None) -> Generation:
    """Returns `max_tokens` new tokens after `prompt`: greedy with `temperature=0`, else sampled (see
    `NextTokenSampler`); equal seeds give equal text.

    Raises:
      EdgeError: `max_tokens` < 1, an empty prompt, a prompt with no known character, or a bad sampling setting.
    """
    if max_tokens < 1:
      raise EdgeError(f"max_tokens={max_tokens}: ask for at least 1 token.")
    sampler = NextTokenSampler(temperature, top_k, top_p, seed, excluded=(PADDING, UNKNOWN))
    ids = self.vocabulary.encode(prompt)
    if not len(ids):
      raise EdgeError("The prompt is empty: give the text to continue, e.g. --prompt='It was'.")
    unknown = int(np.count_nonzero(ids == UNKNOWN))
    if unknown == len(ids):
      raise EdgeError(f"No character of the prompt {prompt[:40]!r} is in the model's vocabulary "
                      f"({self.vocabulary.size - 2} characters, e.g. {''.join(self.vocabulary.tokens[2:30])!r}); "
                      "write the prompt in the language and script of the training text.")
    tokens = list(int(i) for i in ids)
    generated: list[int] = []
    logits, position = self._prefill(tokens[-self.sequence_length:])
    while True:
      token = sampler(logits)
      tokens.append(token)
      generated.append(token)
      if len(generated) == max_tokens:
        break
      if position < self.sequence_length:
        logits = self.model.decode(token, position)
        position += 1
      else:  # the window is full: slide it
        logits, position = self._prefill(tokens[-self.reprefill_length:])
    return Generation(prompt=prompt, text=self.vocabulary.decode(generated), token_ids=tuple(generated),
                      unknown_characters=unknown)

  def _prefill(self, context: list[int]) -> tuple[np.ndarray, int]:
    """Reads `context` (at most a window) from scratch; returns the next token's logits and the next position."""
    window = np.full((self.sequence_length,), PADDING, np.int32)
    window[:len(context)] = context
    return self.model.prefill(window, len(context)), len(context)


def default_reprefill_length(sequence_length: int) -> int:
  """Tokens a cached model reads again when its window is full: half a window (at least 1)."""
  return max(1, sequence_length // 2)


class _WindowFunction:
  """A next-token function as a `CachedLanguageModel` whose cache is the window itself (re-read for every token)."""

  def __init__(self, next_token_logits: NextTokenLogits):
    self.next_token_logits = next_token_logits
    self._window = np.zeros((0,), np.int32)

  def prefill(self, window: np.ndarray, length: int) -> np.ndarray:
    self._window = np.array(window, np.int32)
    return self.next_token_logits(self._window, length)

  def decode(self, token: int, position: int) -> np.ndarray:
    self._window[position] = token
    return self.next_token_logits(self._window, position + 1)
