"""What an exported language model is verified on, and the figures it is measured by.

Test windows are the training pipeline's (`TextCorpus.windows` over the test split), each scored at one length: window
`i` keeps its first `1 + i % sequence_length` tokens and is right-padded with 0, as the generation loops pad a short
context, and the artifact predicts the token that follows (the window's target at that position). Lengths cycle
through 1..sequence_length, so a short prompt, a full window and everything between count alike. Calibration windows
for `full_int8` are cut the same way, from the training split.

Figures (`next_token_figures`), over those windows:
  top1_agreement        share where the artifact's most likely next token is Keras'
  accuracy              share where it is the true next token (`reference_accuracy`: Keras')
  perplexity            exp of the mean negative log-likelihood of the true next tokens (`reference_perplexity`:
                        Keras'), and `perplexity_ratio` = perplexity / reference_perplexity
  max_abs_logit_error, mean_abs_logit_error, num_examples, as for classifiers
"""

from __future__ import annotations

import numpy as np

from edge.char_vocabulary import PADDING
from export import verification


def scoring_lengths(count: int, sequence_length: int) -> np.ndarray:
  """The length window `i` is scored at: `1 + i % sequence_length`, int64 `(count,)`."""
  return 1 + np.arange(count) % sequence_length


def evenly_spaced(count: int, limit: int | None) -> np.ndarray:
  """Indices of at most `limit` of `count` items, spread evenly from the first to the last (all when no limit)."""
  if limit is None or limit >= count:
    return np.arange(count)
  return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


def cut_windows(inputs: np.ndarray, targets: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Cuts each window to its length and right-pads it; returns `(windows int32 (N, T), next tokens int64 (N,))`.

  Args:
    inputs: int32 `(N, T)` windows of `TextCorpus.windows`.
    targets: their targets (the inputs shifted by one).
    lengths: real tokens to keep in each window, 1..T.
  """
  lengths = np.asarray(lengths, np.int64)
  keep = np.arange(inputs.shape[1])[None, :] < lengths[:, None]
  windows = np.where(keep, inputs, PADDING).astype(np.int32)
  return windows, targets[np.arange(len(targets)), lengths - 1].astype(np.int64)


def perplexity(logits: np.ndarray, next_tokens: np.ndarray) -> float:
  """exp of the mean negative log-likelihood of `next_tokens` under `logits` `(N, vocab)` (nan when N = 0)."""
  if not len(next_tokens):
    return float("nan")
  logits = np.asarray(logits, np.float64)
  shifted = logits - logits.max(axis=-1, keepdims=True)
  log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
  return float(np.exp(-log_probabilities[np.arange(len(next_tokens)), next_tokens].mean()))


def next_token_figures(logits: np.ndarray, reference_logits: np.ndarray, next_tokens: np.ndarray) -> dict:
  """Compares an artifact's next-token logits with Keras' on the same windows; returns the figures."""
  figures = verification.logit_figures(logits, reference_logits, next_tokens)
  artifact, reference = perplexity(logits, next_tokens), perplexity(reference_logits, next_tokens)
  return {**figures, "perplexity": artifact, "reference_perplexity": reference,
          "perplexity_ratio": artifact / reference if reference > 0 else float("nan")}
