"""Word logits from features through the transpose of an input embedding (weight tying)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfmodels")
class TiedOutput(keras.layers.Layer):
  """`features @ embeddings.T + bias`: logits over a vocabulary whose input embedding table is `embeddings`.

  Tying the output to the input embedding makes every predicted word train that word's embedding, which is what a
  classifier later starts from. The table is read from `embedding_layer` (a `keras.layers.Embedding`) at call time;
  the layer owns only the per-word bias.

  Inputs `(..., embedding_dim)` -> float32 logits `(..., vocab_size)`.

  Args:
    embedding_layer: the tied `keras.layers.Embedding` (not serialized: the owning model passes it again).
    **kwargs: standard `keras.layers.Layer` arguments.
  """

  def __init__(self, embedding_layer: keras.layers.Embedding, **kwargs):
    super().__init__(**kwargs)
    self.embedding_layer = embedding_layer

  def build(self, input_shape):
    self.bias = self.add_weight(shape=(self.embedding_layer.input_dim,), initializer="zeros", name="bias")
    super().build(input_shape)

  def call(self, features):
    table = ops.cast(self.embedding_layer.embeddings, features.dtype)  # (vocab, embedding_dim)
    logits = ops.matmul(features, ops.transpose(table)) + ops.cast(self.bias, features.dtype)
    return ops.cast(logits, "float32")

  def compute_output_shape(self, input_shape):
    return (*input_shape[:-1], self.embedding_layer.input_dim)
