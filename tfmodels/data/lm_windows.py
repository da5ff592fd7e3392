"""Next-token training pairs for language models, cut from contiguous blocks of token ids.

A window is `sequence_length + 1` consecutive ids of one block: its first `sequence_length` ids are the input and its
last `sequence_length` ids the targets (the input shifted by one). Windows start at 0 and every `stride` ids after; the
default stride `sequence_length` makes each window begin with the last id of the one before, so every pair of
neighbouring ids in a block is a target exactly once (apart from the block's tail that no full window reaches). No
window crosses a block boundary, which is what keeps the splits of a `TextCorpus` apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def make_windows(blocks: Sequence[np.ndarray], sequence_length: int,
                 stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
  """Cuts every block into windows of `sequence_length + 1` ids.

  Args:
    blocks: token ids of each block, 1-D integer arrays; a block shorter than a window gives none.
    sequence_length: ids per input (and per target) row.
    stride: ids between the starts of consecutive windows (default `sequence_length`).

  Returns:
    `(inputs, targets)`, `int32` arrays of shape `(N, sequence_length)` with `targets[:, t] == inputs[:, t + 1]` for
    `t < sequence_length - 1`, the windows of each block in order, blocks in order.

  Raises:
    ValueError: `sequence_length` or `stride` is below 1, or a block is not 1-D.
  """
  if sequence_length < 1:
    raise ValueError(f"sequence_length must be >= 1, got {sequence_length}.")
  stride = sequence_length if stride is None else stride
  if stride < 1:
    raise ValueError(f"stride must be >= 1, got {stride}.")
  offsets = np.arange(sequence_length + 1)
  windows = []
  for block in blocks:
    block = np.asarray(block)
    if block.ndim != 1:
      raise ValueError(f"Each block must be a 1-D array of token ids, got shape {block.shape}.")
    if len(block) > sequence_length:
      starts = np.arange(0, len(block) - sequence_length, stride)
      windows.append(block[starts[:, None] + offsets].astype(np.int32))  # (windows, sequence_length + 1)
  if not windows:
    empty = np.zeros((0, sequence_length), np.int32)
    return empty, empty.copy()
  stacked = np.concatenate(windows)
  return np.ascontiguousarray(stacked[:, :-1]), np.ascontiguousarray(stacked[:, 1:])
