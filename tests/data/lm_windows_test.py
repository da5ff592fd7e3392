"""Tests of language-model windows (`lm_windows.make_windows`)."""

import numpy as np
import pytest

from tfmodels.data.lm_windows import make_windows


def test_consecutive_windows_share_one_id():
  inputs, targets = make_windows([np.arange(10)], sequence_length=3)
  # Windows [0..3], [3..6], [6..9].
  assert inputs.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
  assert targets.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
  assert inputs.dtype == targets.dtype == np.int32


def test_every_neighbouring_pair_is_a_target_once():
  block = np.random.default_rng(0).integers(0, 50, 1 + 4 * 16)
  inputs, targets = make_windows([block], sequence_length=16)
  pairs = sorted(zip(inputs.reshape(-1).tolist(), targets.reshape(-1).tolist()))
  assert pairs == sorted(zip(block[:-1].tolist(), block[1:].tolist()))


def test_windows_never_cross_blocks():
  first, second = np.arange(0, 7), np.arange(100, 105)
  inputs, targets = make_windows([first, np.arange(200, 202), second], sequence_length=2)
  assert inputs.tolist() == [[0, 1], [2, 3], [4, 5], [100, 101], [102, 103]]
  assert targets.tolist() == [[1, 2], [3, 4], [5, 6], [101, 102], [103, 104]]


def test_stride():
  inputs, targets = make_windows([np.arange(6)], sequence_length=3, stride=1)
  assert inputs.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
  assert targets[-1].tolist() == [3, 4, 5]
  inputs, _ = make_windows([np.arange(20)], sequence_length=3, stride=8)
  assert inputs[:, 0].tolist() == [0, 8, 16]


def test_too_short_or_no_blocks_give_an_empty_result():
  for blocks in ([], [np.arange(3)], [np.zeros((0,), np.int32)]):
    inputs, targets = make_windows(blocks, sequence_length=3)
    assert inputs.shape == targets.shape == (0, 3)
    assert inputs.dtype == np.int32
  assert make_windows([np.arange(4)], sequence_length=3)[0].shape == (1, 3)


def test_bad_arguments():
  with pytest.raises(ValueError, match="sequence_length must be >= 1"):
    make_windows([np.arange(5)], sequence_length=0)
  with pytest.raises(ValueError, match="stride must be >= 1"):
    make_windows([np.arange(5)], sequence_length=2, stride=0)
  with pytest.raises(ValueError, match="1-D"):
    make_windows([np.zeros((2, 5))], sequence_length=2)
