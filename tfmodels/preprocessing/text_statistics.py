"""What a classifier's text settings are chosen from: how often each word occurs and how long the texts are."""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import tensorflow as tf

# The automatic sequence length: this percentile of the training texts' token counts, rounded up to a multiple of
# `_LENGTH_STEP`, within [_SHORTEST, _LONGEST] (the Transformer's attention grows with its square).
LENGTH_PERCENTILE = 95
_LENGTH_STEP = 8
_SHORTEST = 16
_LONGEST = 256


@dataclasses.dataclass(frozen=True)
class TextStatistics:
  """Word counts and text lengths of a set of texts, as Keras' `TextVectorization` splits them.

  Attributes:
    words: every distinct word, most frequent first (ties in reverse alphabetical order: Keras' own order, so the
      top `max_tokens - 2` are the words `TextVectorization.adapt(max_tokens=...)` keeps).
    counts: occurrences of each of `words`.
    lengths: the number of words of each text.
  """

  words: tuple[str, ...]
  counts: np.ndarray
  lengths: np.ndarray

  @classmethod
  def from_texts(cls, texts: tf.data.Dataset, batch_size: int = 1024) -> "TextStatistics":
    """Counts an unbatched dataset of strings (two passes: Keras' adapt, then the counts)."""
    full = keras.layers.TextVectorization(max_tokens=None, output_mode="int", ragged=True)
    full.adapt(texts.batch(batch_size))
    words = tuple(full.get_vocabulary()[2:])  # after padding and OOV, which the full vocabulary never yields
    counts = np.zeros(len(words) + 2, np.int64)
    lengths = []
    for batch in texts.batch(batch_size):
      ids = full(batch)  # ragged (batch, words of each text)
      counts += np.bincount(ids.flat_values.numpy(), minlength=counts.size)
      lengths.append(ids.row_lengths().numpy())
    lengths = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    return cls(words=words, counts=counts[2:], lengths=lengths)

  def vocabulary(self, max_tokens: int, min_count: int = 1) -> list[str]:
    """The words a vectorizer of `max_tokens` (padding and OOV included) keeps: the most frequent ones that occur
    at least `min_count` times."""
    kept = int(np.sum(self.counts >= min_count))  # counts fall along `words`
    return list(self.words[:min(kept, max_tokens - 2)])

  def sequence_length(self) -> int:
    """The `LENGTH_PERCENTILE`th percentile of the text lengths, rounded up to a multiple of 8, within 16-256."""
    if not self.lengths.size:
      return _SHORTEST
    length = float(np.percentile(self.lengths, LENGTH_PERCENTILE))
    return int(min(_LONGEST, max(_SHORTEST, _LENGTH_STEP * math.ceil(length / _LENGTH_STEP))))
