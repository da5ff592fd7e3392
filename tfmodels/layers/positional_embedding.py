"""Token embedding plus a learned position embedding."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfmodels")
class PositionalEmbedding(keras.layers.Layer):
  """Embeds token ids and adds a learned embedding of each position.

  Positions are added to the token embeddings (never multiplied). Token id 0 is padding: `compute_mask` returns
  `ids != 0`, so Keras hands that mask to the next mask-aware layer, e.g. `TransformerEncoderBlock`.

  Inputs are int token ids `(batch, seq)` with `seq <= sequence_length`; outputs are `(batch, seq, embedding_dim)`.

  Args:
    vocab_size: number of token ids, including the padding id 0.
    sequence_length: longest sequence the layer accepts (rows of the position table).
    embedding_dim: width of both embeddings.
    **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).
  """

  def __init__(self, vocab_size: int, sequence_length: int, embedding_dim: int, **kwargs):
    super().__init__(**kwargs)
    self.vocab_size = vocab_size
    self.sequence_length = sequence_length
    self.embedding_dim = embedding_dim
    self.token_embedding = keras.layers.Embedding(
        vocab_size, embedding_dim, dtype=self.dtype_policy, name="token_embedding")

  def build(self, input_shape):
    self.token_embedding.build(input_shape)
    self.position_embeddings = self.add_weight(
        shape=(self.sequence_length, self.embedding_dim), initializer="uniform", name="position_embeddings")
    super().build(input_shape)

  def call(self, inputs, training=False):
    token_embeddings = self.token_embedding(inputs)  # (batch, seq, embedding_dim)
    # Slicing the table rather than gathering rows keeps this a builtin TFLite op (STRIDED_SLICE).
    seq_len = ops.shape(inputs)[1]
    position_embeddings = self.position_embeddings[:seq_len]  # (seq, embedding_dim)
    return token_embeddings + position_embeddings

  def embed_at(self, token_ids, positions):
    """The embeddings of tokens at given positions (one step of generation): int `(batch, seq)` ids and positions
    -> `(batch, seq, embedding_dim)`."""
    return self.token_embedding(token_ids) + ops.take(self.position_embeddings, positions, axis=0)

  def compute_mask(self, inputs, mask=None):
    return ops.not_equal(inputs, 0)  # (batch, seq), True at real tokens

  def compute_output_shape(self, input_shape):
    return (*input_shape, self.embedding_dim)

  def get_config(self):
    config = super().get_config()
    config.update({
        "vocab_size": self.vocab_size,
        "sequence_length": self.sequence_length,
        "embedding_dim": self.embedding_dim,
    })
    return config
