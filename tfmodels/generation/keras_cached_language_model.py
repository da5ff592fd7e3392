"""A trained Keras language model on its cached path, as the `CachedLanguageModel` of the shared generation loop."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


class KerasCachedLanguageModel:
  """Runs `model.prefill` and `model.decode` (batch 1) and holds the cache between calls, as the edge runtime does.

  Both are compiled `tf.function`s over static shapes, so a token costs one graph run of one position.

  Args:
    model: a `TransformerLm` or `LstmLm`.
  """

  def __init__(self, model: keras.Model):
    self.model = model
    cache_specs = [tf.TensorSpec(shape, model.compute_dtype) for shape in model.cache_shapes(1)]
    self._prefill = tf.function(lambda ids: model.prefill(ids), input_signature=[model.input_signature(1)])
    self._decode = tf.function(
        lambda token, position, cache: model.decode(token, position, cache),
        input_signature=[tf.TensorSpec((1,), tf.int32), tf.TensorSpec((1,), tf.int32), tuple(cache_specs)])
    self._cache = None

  def prefill(self, window: np.ndarray, length: int) -> np.ndarray:
    """Starts over on a right-padded window; returns the logits after its `length` real tokens."""
    del length  # the model reads it from the padding
    logits, self._cache = self._prefill(np.asarray(window, np.int32)[None])
    return logits[0].numpy()

  def decode(self, token: int, position: int) -> np.ndarray:
    """Reads `token` at `position`; returns the logits of the next token."""
    logits, self._cache = self._decode(np.array([token], np.int32), np.array([position], np.int32), self._cache)
    return logits[0].numpy()
