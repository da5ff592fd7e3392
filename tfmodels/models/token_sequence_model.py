"""Base of the text models: classifiers and language models that read token-id sequences."""

from __future__ import annotations

import keras
import tensorflow as tf


class TokenSequenceModel(keras.Model):
  """A model over int32 token ids `(batch, sequence_length)`; subclasses set `self.sequence_length`.

  Subclasses call `build_on_signature()` at the end of `__init__`, so `summary()` and `count_params()` work at once.
  """

  def input_signature(self, batch_size: int | None = None) -> tf.TensorSpec:
    """The input the model expects: token ids `(batch, sequence_length)`, int32, 0 = padding.

    Args:
      batch_size: static batch size, e.g. 1 for a TFLite signature; None = any.
    """
    return tf.TensorSpec((batch_size, self.sequence_length), tf.int32, name="token_ids")

  def build_on_signature(self) -> None:
    """Builds every layer by calling the model once on a symbolic input of `input_signature()`."""
    spec = self.input_signature()
    self(keras.Input(batch_shape=spec.shape, dtype=spec.dtype.name))
