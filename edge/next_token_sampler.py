"""Chooses the next token from a language model's logits: greedy, or sampled with temperature, top-k and top-p."""

from __future__ import annotations

import numpy as np

from edge.edge_error import EdgeError


class NextTokenSampler:
  """Picks one token id from a vector of next-token logits.

  With `temperature == 0` the choice is greedy (the largest logit; the lowest id wins a tie). Otherwise the logits
  are divided by the temperature, cut to the `top_k` largest (0 = no cut), then to the smallest set of tokens whose
  probabilities sum to at least `top_p` (1 = no cut), and one token is drawn from what is left with a numpy
  generator seeded by `seed`, so equal seeds give equal draws. Ids in `excluded` (padding, unknown) are never picked.

  Plain numpy: the Keras generator and the edge runtime share this class, so both choose alike.

  Args:
    temperature: 0 for greedy decoding, else > 0 (below 1 sharper, above 1 flatter).
    top_k: keep only this many most likely tokens (0 = all).
    top_p: keep the most likely tokens up to this total probability, in (0, 1].
    seed: seed of the draws; None = fresh randomness each run.
    excluded: token ids that are never chosen.

  Raises:
    EdgeError: a setting is out of range.
  """

  def __init__(self, temperature: float = 0.0, top_k: int = 0, top_p: float = 1.0, seed: int | None = None,
               excluded: tuple[int, ...] = ()):
    if not temperature >= 0:
      raise EdgeError(f"temperature={temperature}: use 0 for greedy decoding or a number > 0 (e.g. 0.8) to sample.")
    if top_k < 0:
      raise EdgeError(f"top_k={top_k}: use 0 to keep every token, or a positive count (e.g. 40).")
    if not 0 < top_p <= 1:
      raise EdgeError(f"top_p={top_p}: use a probability in (0, 1], e.g. 0.9 (1 keeps every token).")
    self.temperature = temperature
    self.top_k = top_k
    self.top_p = top_p
    self.seed = seed
    self.excluded = tuple(excluded)
    self._excluded = np.asarray(self.excluded, np.intp)
    self._rng = np.random.default_rng(seed)

  @property
  def greedy(self) -> bool:
    return self.temperature == 0

  def __call__(self, logits: np.ndarray) -> int:
    """Returns the chosen id for one `(vocab_size,)` vector of logits."""
    logits = np.array(logits, np.float64).reshape(-1)  # a copy
    logits[self._excluded] = -np.inf
    if self.greedy:
      return int(logits.argmax())
    logits /= self.temperature
    order = np.argsort(-logits, kind="stable")  # most likely first
    if self.top_k:
      order = order[:self.top_k]
    kept = logits[order]
    probabilities = np.exp(kept - kept.max())
    probabilities /= probabilities.sum()
    if self.top_p < 1:
      # Keep every token up to and including the one that brings the total to top_p.
      cut = int(np.searchsorted(np.cumsum(probabilities), self.top_p)) + 1
      order, probabilities = order[:cut], probabilities[:cut] / probabilities[:cut].sum()
    return int(order[self._rng.choice(len(order), p=probabilities)])
