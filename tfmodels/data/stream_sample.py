"""Samples of a stream, kept while it passes: memory grows with the sample, not the stream."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def sample_positions(total: int, count: int, seed: int) -> np.ndarray:
  """Sorted positions of a seeded random sample of `count` of `total` items (all of them when there are fewer)."""
  return np.sort(np.random.default_rng(seed).choice(total, size=min(count, total), replace=False))


def sampled(dataset: tf.data.Dataset, total: int, count: int, seed: int) -> tf.data.Dataset:
  """The elements of `dataset` (of `total` elements) at `sample_positions(total, count, seed)`, in stream order."""
  return at_positions(dataset, total, sample_positions(total, count, seed))


def at_positions(dataset: tf.data.Dataset, total: int, positions: np.ndarray) -> tf.data.Dataset:
  """The elements of `dataset` (of `total` elements) at `positions`, in stream order (the whole stream when they are
  all of it)."""
  chosen = np.zeros((total,), bool)
  chosen[np.asarray(positions, np.int64)] = True
  if chosen.all():
    return dataset
  mask = tf.constant(chosen)

  def is_chosen(index, element):
    del element
    return mask[index]

  def drop_index(index, element):
    del index
    return element

  return dataset.enumerate().filter(is_chosen).map(drop_index)
