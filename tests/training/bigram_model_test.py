"""Tests of the Kneser-Ney bigram reference (`BigramModel`)."""

import math

import numpy as np
import pytest

from tfmodels.training.bigram_model import MAX_VOCAB_SIZE, BigramModel


def _reference_prob(sequences, vocab_size, discount, previous, following):
  """Interpolated Kneser-Ney written out from its definition, one probability at a time."""
  pairs = [(int(a), int(b)) for sequence in sequences for a, b in zip(sequence[:-1], sequence[1:])]
  distinct = set(pairs)
  continuation = {w: sum(1 for _, b in distinct if b == w) for w in range(vocab_size)}
  types = sum(1 for count in continuation.values() if count)
  low = ((max(continuation[following] - discount, 0) + discount * types / vocab_size) / len(distinct))
  context = sum(1 for a, _ in pairs if a == previous)
  if not context:
    return low
  pair = sum(1 for a, b in pairs if (a, b) == (previous, following))
  followers = sum(1 for a, _ in distinct if a == previous)
  return max(pair - discount, 0) / context + discount * followers / context * low


def test_matches_the_definition():
  sequences = [np.array([1, 2, 1, 2, 3]), np.array([3, 1, 2, 2])]
  model = BigramModel(discount=0.75).fit(sequences, vocab_size=5)
  for previous in range(5):
    for following in range(5):
      expected = _reference_prob(sequences, 5, 0.75, previous, following)
      assert math.isclose(math.exp(model.log_prob(np.array(previous), np.array(following))), expected,
                          rel_tol=1e-12)


def test_pairs_are_counted_inside_sequences_only():
  apart = BigramModel().fit([np.array([1, 2]), np.array([3, 4])], vocab_size=5)
  joined = BigramModel().fit([np.array([1, 2, 3, 4])], vocab_size=5)
  # 2 -> 3 is a pair only when the sequences are joined; apart, 2 never precedes anything.
  assert apart.log_prob(np.array([2]), np.array([3]))[0] < joined.log_prob(np.array([2]), np.array([3]))[0]


@pytest.mark.parametrize("discount", [0.1, 0.75, 1.0])
def test_every_conditional_is_a_distribution_without_zeros(discount):
  rng = np.random.default_rng(0)
  vocab_size = 40
  # Ids 30.. never occur, so their rows are unseen contexts and their columns unseen continuations.
  sequences = [rng.integers(0, 30, size) for size in (500, 17, 1)]
  model = BigramModel(discount).fit(sequences, vocab_size)
  previous, following = np.meshgrid(np.arange(vocab_size), np.arange(vocab_size), indexing="ij")
  probs = np.exp(model.log_prob(previous, following))
  assert probs.shape == (vocab_size, vocab_size)
  np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
  assert probs.min() > 0
  # An unseen context falls back to the (smoothed) continuation unigram, the same for every unseen context.
  np.testing.assert_array_equal(probs[30], probs[39])


def test_perplexity_is_exp_of_mean_negative_log_prob():
  rng = np.random.default_rng(1)
  model = BigramModel().fit([rng.integers(0, 6, 300)], vocab_size=6)
  inputs, targets = rng.integers(0, 6, (4, 9)), rng.integers(0, 6, (4, 9))
  expected = math.exp(-np.mean([model.log_prob(np.array(a), np.array(b)) for a, b in
                                zip(inputs.reshape(-1), targets.reshape(-1))]))
  assert math.isclose(model.perplexity(inputs, targets), expected, rel_tol=1e-12)


def test_a_predictable_sequence_has_low_perplexity():
  cycle = np.tile(np.arange(2, 12), 200)
  model = BigramModel().fit([cycle], vocab_size=12)
  assert model.perplexity(cycle[None, :-1], cycle[None, 1:]) < 1.01
  assert model.perplexity(cycle[None, 1:], cycle[None, :-1]) > 12  # Backwards, every pair is unseen.


def test_fit_is_fast_on_millions_of_ids():
  ids = np.random.default_rng(0).integers(0, 256, 3_000_000)
  model = BigramModel().fit(np.array_split(ids, 1500), vocab_size=256)
  assert model.perplexity(ids[:-1].reshape(1, -1), ids[1:].reshape(1, -1)) == pytest.approx(256, rel=0.02)


def test_bad_arguments():
  with pytest.raises(ValueError, match="discount must be in"):
    BigramModel(0.0)
  with pytest.raises(ValueError, match="vocab_size must be in"):
    BigramModel().fit([np.array([0, 1])], MAX_VOCAB_SIZE + 1)
  with pytest.raises(ValueError, match=r"Token ids must be in \[0, 3\)"):
    BigramModel().fit([np.array([0, 3])], 3)
  with pytest.raises(ValueError, match="no pair"):
    BigramModel().fit([np.array([1]), np.array([], np.int32)], 3)
  with pytest.raises(ValueError, match="Call fit"):
    BigramModel().perplexity(np.array([[1]]), np.array([[2]]))
  model = BigramModel().fit([np.array([0, 1, 2])], 3)
  with pytest.raises(ValueError, match="same shape"):
    model.perplexity(np.zeros((2, 3), np.int32), np.zeros((2, 2), np.int32))
  with pytest.raises(ValueError, match="No positions"):
    model.perplexity(np.zeros((0, 3), np.int32), np.zeros((0, 3), np.int32))
  with pytest.raises(ValueError, match="Token ids must be in"):
    model.log_prob(np.array([5]), np.array([0]))
