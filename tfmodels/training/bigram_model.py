"""A classical reference for language models: an interpolated Kneser-Ney bigram over token ids.

Fit on the training split and scored on exactly the `(input, target)` pairs a next-token model is scored on, its
perplexity is the bar a neural language model has to clear: beating it means the model uses more than the previous
token.

With discount `D`, `c(v, w)` the count of the pair `v w` and `N1+` the number of distinct pairs:

    P(w | v) = max(c(v, w) - D, 0) / c(v) + D * N1+(v, .) / c(v) * P_low(w)        when v was seen first in a pair
    P(w | v) = P_low(w)                                                              otherwise
    P_low(w) = max(N1+(., w) - D, 0) / N1+(., .) + D * |{w : N1+(., w) > 0}| / N1+(., .) / V

`P_low` is the continuation unigram (in how many different contexts `w` follows), itself discounted and interpolated
with the uniform distribution over the `V` ids, so every id, seen or not, gets a probability above 0 and every
`P(. | v)` sums to 1. The full `V x V` table of log-probabilities is computed once in `fit`, so scoring is a lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

MAX_VOCAB_SIZE = 4096
# Neighbouring pairs counted at a time.
_COUNT_BATCH = 1 << 22


class BigramModel:
  """Interpolated Kneser-Ney bigram model over ids `0 .. vocab_size - 1`.

  Args:
    discount: the absolute discount `D`, in (0, 1].

  Raises:
    ValueError: `discount` is outside (0, 1].
  """

  def __init__(self, discount: float = 0.75):
    if not 0 < discount <= 1:
      raise ValueError(f"discount must be in (0, 1], got {discount}.")
    self.discount = discount
    self.vocab_size = 0
    self._log_probs: np.ndarray | None = None  # (vocab_size, vocab_size): [previous, next]

  def fit(self, sequences: Iterable[np.ndarray], vocab_size: int) -> BigramModel:
    """Counts the pairs of neighbouring ids inside each sequence (never across two) and builds the model.

    Args:
      sequences: 1-D arrays of token ids, e.g. the blocks of the training split.
      vocab_size: number of ids; every id must be below it.

    Returns:
      self.

    Raises:
      ValueError: `vocab_size` is outside [1, MAX_VOCAB_SIZE], an id is out of range, or there is not a single pair.
    """
    if not 1 <= vocab_size <= MAX_VOCAB_SIZE:
      raise ValueError(f"vocab_size must be in [1, {MAX_VOCAB_SIZE}] (the model keeps a dense vocab_size^2 table, "
                       f"meant for character vocabularies), got {vocab_size}.")
    counts = np.zeros((vocab_size * vocab_size,), np.int64)
    for pair_codes in self._pair_code_batches(sequences, vocab_size):
      counts += np.bincount(pair_codes, minlength=vocab_size * vocab_size)
    counts = counts.reshape(vocab_size, vocab_size)  # [previous, next]
    if not counts.any():
      raise ValueError("The sequences hold no pair of neighbouring ids to count.")
    d = self.discount

    seen = counts > 0
    continuations = seen.sum(axis=0)  # N1+(., w)
    distinct_pairs = continuations.sum()  # N1+(., .)
    low = (np.maximum(continuations - d, 0) + d * np.count_nonzero(continuations) / vocab_size) / distinct_pairs

    context_counts = counts.sum(axis=1, keepdims=True)  # c(v)
    followers = seen.sum(axis=1, keepdims=True)  # N1+(v, .)
    with np.errstate(divide="ignore", invalid="ignore"):
      probs = (np.maximum(counts - d, 0) + d * followers * low) / context_counts
    probs = np.where(context_counts > 0, probs, low)
    self.vocab_size = vocab_size
    self._log_probs = np.log(probs)
    return self

  def log_prob(self, previous: np.ndarray, next: np.ndarray) -> np.ndarray:  # pylint: disable=redefined-builtin
    """Returns `log P(next | previous)` elementwise (natural log), for arrays of ids of the same shape.

    Raises:
      ValueError: the model is not fit, the shapes differ, or an id is out of range.
    """
    if self._log_probs is None:
      raise ValueError("Call fit before scoring.")
    previous, next = np.asarray(previous), np.asarray(next)
    if previous.shape != next.shape:
      raise ValueError(f"previous and next must have the same shape, got {previous.shape} and {next.shape}.")
    return self._log_probs[self._checked_ids(previous, self.vocab_size),
                           self._checked_ids(next, self.vocab_size)].reshape(previous.shape)

  def perplexity(self, inputs: np.ndarray, targets: np.ndarray) -> float:
    """Returns `exp(mean(-log P(targets[i, t] | inputs[i, t])))` over all positions.

    Args:
      inputs: token ids, e.g. `(N, sequence_length)` next-token windows (`TextCorpus.windows`).
      targets: the next id of each input id, same shape.

    Raises:
      ValueError: the model is not fit, the shapes differ, there are no positions, or an id is out of range.
    """
    return self.streamed_perplexity([(inputs, targets)])

  def streamed_perplexity(self, batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> float:
    """`perplexity` over all positions of every `(inputs, targets)` batch, holding one batch at a time."""
    total, count = 0.0, 0
    for inputs, targets in batches:
      log_probs = self.log_prob(inputs, targets)
      total += float(log_probs.sum())
      count += log_probs.size
    if not count:
      raise ValueError("No positions to score: inputs and targets are empty.")
    return float(np.exp(-total / count))

  @classmethod
  def _pair_code_batches(cls, sequences: Iterable[np.ndarray], vocab_size: int) -> Iterator[np.ndarray]:
    """`previous * vocab_size + next` of the neighbouring pairs of each sequence, about `_COUNT_BATCH` at a time, so
    that memory stays flat however many sequences there are."""
    batch, size = [], 0
    for sequence in sequences:
      ids = cls._checked_ids(sequence, vocab_size)
      batch.append(ids[:-1] * vocab_size + ids[1:])
      size += len(ids)
      if size >= _COUNT_BATCH:
        yield np.concatenate(batch)
        batch, size = [], 0
    if batch:
      yield np.concatenate(batch)

  @staticmethod
  def _checked_ids(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    ids = np.asarray(ids).reshape(-1)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
      raise ValueError(f"Token ids must be in [0, {vocab_size}), got values from {ids.min()} to {ids.max()}.")
    return ids.astype(np.int64)
