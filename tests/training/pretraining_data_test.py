"""Tests for tfmodels/training/pretraining_data.py: which words the encoders learn to predict."""

import math

import numpy as np

from tfmodels.training import pretraining_data


def texts():
  """Three texts padded to 10 ids: 10, 4 and 1 words (ids >= 2, 1 = out of vocabulary)."""
  ids = np.zeros((3, 10), np.int32)
  ids[0] = np.arange(2, 12)
  ids[1, :4] = [5, 1, 7, 9]
  ids[2, :1] = [3]
  return ids


def test_next_word_targets_are_the_next_and_previous_words_at_the_drawn_positions():
  ids = texts()
  inputs, positions, targets = pretraining_data.next_word_targets(ids, np.random.default_rng(0), 6, directions=2)
  np.testing.assert_array_equal(inputs, ids)
  length = ids.shape[1]
  for row in range(len(ids)):
    words = int((ids[row] > 0).sum())
    drawn = positions[row][targets[row] > 0]
    assert len(set(positions[row].tolist())) == 6  # distinct
    assert len(drawn) == min(6, 2 * (words - 1))  # a one-word text has nothing to predict
    for position, target in zip(positions[row], targets[row]):
      if not target:
        continue
      if position < length:
        assert position < words - 1 and target == ids[row, position + 1]
      else:
        assert 1 <= position - length < words and target == ids[row, position - length - 1]


def test_one_direction_predicts_only_next_words():
  _, positions, targets = pretraining_data.next_word_targets(texts(), np.random.default_rng(1), 4, directions=1)
  assert (positions < 10).all()
  assert (targets[1] > 0).sum() == 3 and (targets[2] == 0).all()


def test_the_draw_changes_with_the_seed_and_not_without():
  ids = texts()
  first = pretraining_data.next_word_targets(ids, np.random.default_rng(3), 4, directions=2)[1]
  again = pretraining_data.next_word_targets(ids, np.random.default_rng(3), 4, directions=2)[1]
  other = pretraining_data.next_word_targets(ids, np.random.default_rng(4), 4, directions=2)[1]
  np.testing.assert_array_equal(first, again)
  assert not np.array_equal(first, other)


def test_masked_words_are_hidden_and_predicted_fifteen_percent_of_each_text():
  ids = np.tile(texts(), (200, 1))
  hidden, positions, targets = pretraining_data.masked_word_targets(ids, np.random.default_rng(0), 2, vocab_size=50)
  words = (ids > 0).sum(axis=1)
  np.testing.assert_array_equal((targets > 0).sum(axis=1), np.minimum(np.ceil(0.15 * words), 2))
  rows = np.arange(len(ids))[:, None]
  chosen = targets > 0
  np.testing.assert_array_equal(targets[chosen], ids[rows.repeat(2, 1)[chosen], positions[chosen]])
  changed = hidden != ids
  # Only drawn words change; most of those become the out-of-vocabulary token, some a random word.
  assert not (changed & ~np.isin(np.arange(10)[None, :], positions) ).any()
  replaced = hidden[rows.repeat(2, 1)[chosen], positions[chosen]]
  share_unknown = np.mean(replaced == 1)
  assert 0.7 < share_unknown < 0.9, share_unknown
  assert (hidden[ids == 0] == 0).all()  # padding stays padding
  assert math.isclose(pretraining_data.MASKED_SHARE, 0.15)
