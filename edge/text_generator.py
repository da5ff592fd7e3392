"""The generation loop of the language models, shared by Keras, the SavedModel check and the edge runtime."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from edge.char_vocabulary import PADDING, UNKNOWN, CharVocabulary
from edge.edge_error import EdgeError
from edge.next_token_sampler import NextTokenSampler

# (window: int32 (sequence_length,) right-padded with 0, length: real tokens in it) -> (vocab_size,) logits of the
# token after the last real one.
NextTokenLogits = Callable[[np.ndarray, int], np.ndarray]


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
  """Extends a prompt token by token with a next-token model over a static context window.

  The model reads a window of `sequence_length` ids: the last `sequence_length` tokens so far, right-padded with 0
  when there are fewer; its logits after the last real token choose the next one (`NextTokenSampler`). Padding and
  the unknown token are never generated.

  Args:
    next_token_logits: the model, as a function of (window, length) -> logits.
    vocabulary: the model's character vocabulary.
    sequence_length: the model's context window.
  """

  def __init__(self, next_token_logits: NextTokenLogits, vocabulary: CharVocabulary, sequence_length: int):
    self.next_token_logits = next_token_logits
    self.vocabulary = vocabulary
    self.sequence_length = sequence_length

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
    window = np.zeros((self.sequence_length,), np.int32)
    for _ in range(max_tokens):
      context = tokens[-self.sequence_length:]
      window[:] = PADDING
      window[:len(context)] = context
      token = sampler(self.next_token_logits(window, len(context)))
      tokens.append(token)
      generated.append(token)
    return Generation(prompt=prompt, text=self.vocabulary.decode(generated), token_ids=tuple(generated),
                      unknown_characters=unknown)
