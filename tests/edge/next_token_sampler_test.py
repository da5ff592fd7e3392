"""Tests for edge/next_token_sampler.py."""

import numpy as np
import pytest

from edge.edge_error import EdgeError
from edge.next_token_sampler import NextTokenSampler

LOGITS = np.log(np.array([0.05, 0.1, 0.4, 0.3, 0.15]))


def _draws(sampler, count=4000):
  return np.bincount([sampler(LOGITS) for _ in range(count)], minlength=len(LOGITS)) / count


def test_greedy_takes_the_largest_logit_and_skips_excluded_ids():
  assert NextTokenSampler()(LOGITS) == 2
  assert NextTokenSampler(excluded=(2,))(LOGITS) == 3
  assert NextTokenSampler()(np.array([1.0, 3.0, 3.0])) == 1  # ties: the lowest id


def test_sampling_follows_the_distribution():
  frequencies = _draws(NextTokenSampler(temperature=1.0, seed=0))
  np.testing.assert_allclose(frequencies, np.exp(LOGITS), atol=0.03)


def test_seed_makes_draws_reproducible():
  a, b = NextTokenSampler(temperature=1.0, seed=7), NextTokenSampler(temperature=1.0, seed=7)
  assert [a(LOGITS) for _ in range(50)] == [b(LOGITS) for _ in range(50)]
  c = NextTokenSampler(temperature=1.0, seed=8)
  a = NextTokenSampler(temperature=1.0, seed=7)
  assert [a(LOGITS) for _ in range(50)] != [c(LOGITS) for _ in range(50)]


def test_top_k_and_top_p_cut_the_tail():
  assert set(np.flatnonzero(_draws(NextTokenSampler(temperature=1.0, top_k=2, seed=0)))) == {2, 3}
  # 0.4 + 0.3 = 0.7 < 0.75, so the third most likely (0.15) completes the nucleus.
  assert set(np.flatnonzero(_draws(NextTokenSampler(temperature=1.0, top_p=0.75, seed=0)))) == {2, 3, 4}
  assert set(np.flatnonzero(_draws(NextTokenSampler(temperature=1.0, top_p=0.7, seed=0)))) == {2, 3}


def test_low_temperature_sharpens():
  assert _draws(NextTokenSampler(temperature=0.1, seed=0))[2] > 0.9
  assert _draws(NextTokenSampler(temperature=1.0, excluded=(2, 3), seed=0))[[2, 3]].sum() == 0


@pytest.mark.parametrize("kwargs,message", [({"temperature": -1}, "temperature"), ({"top_k": -3}, "top_k"),
                                            ({"top_p": 0.0}, "top_p"), ({"top_p": 1.5}, "top_p"),
                                            ({"temperature": float("nan")}, "temperature")])
def test_bad_settings(kwargs, message):
  with pytest.raises(EdgeError, match=message):
    NextTokenSampler(**kwargs)
