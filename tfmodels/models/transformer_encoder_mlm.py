"""The Transformer classifier's embedding and encoder blocks, trained to predict masked words (pretraining)."""

from __future__ import annotations

import keras
from keras import ops

from tfmodels.config import TransformerConfig
from tfmodels.layers.positional_embedding import PositionalEmbedding
from tfmodels.layers.tied_output import TiedOutput
from tfmodels.layers.transformer_encoder_block import TransformerEncoderBlock


@keras.saving.register_keras_serializable(package="tfmodels")
class TransformerEncoderMlm(keras.Model):
  """Predicts the masked words of a text from both sides (BERT-style masked language model) with the Transformer
  classifier's encoder.

  The layers `embedding` and `encoder_block_{i}` have the classifier's names and shapes, so `TransformerClassifier`
  starts from them (`tfmodels/training/pretraining.py`). A GELU dense layer and a LayerNormalization follow, and the
  output is tied to the token embedding (`TiedOutput`).

  Inputs: `(token_ids, positions)`: int32 `(batch, sequence_length)` ids in which the words to predict are hidden
  (the data replaces them: `tfmodels/training/pretraining_data.py`), and int32 `(batch, num_targets)` positions of
  those words. Output: float32 logits `(batch, num_targets, vocab_size)` at those positions only.

  Args:
    vocab_size, sequence_length, embedding_dim, num_layers, num_heads, ff_dim, dropout: as `TransformerClassifier`'s.
    num_targets: positions predicted per text.
    **kwargs: standard `keras.Model` arguments.
  """

  def __init__(self, vocab_size: int, sequence_length: int, num_targets: int,
               embedding_dim: int = TransformerConfig.embedding_dim, num_layers: int = TransformerConfig.num_layers,
               num_heads: int = TransformerConfig.num_heads, ff_dim: int = TransformerConfig.ff_dim,
               dropout: float = TransformerConfig.dropout, **kwargs):
    super().__init__(**kwargs)
    self.vocab_size = vocab_size
    self.sequence_length = sequence_length
    self.num_targets = num_targets
    self.embedding_dim = embedding_dim
    self.num_layers = num_layers
    self.num_heads = num_heads
    self.ff_dim = ff_dim
    self.dropout = dropout

    self.embedding = PositionalEmbedding(vocab_size, sequence_length, embedding_dim, name="embedding")
    self.encoder_blocks = [TransformerEncoderBlock(num_heads, ff_dim, dropout=dropout, name=f"encoder_block_{i}")
                           for i in range(num_layers)]
    self.transform = keras.layers.Dense(embedding_dim, activation="gelu", name="transform")
    self.transform_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="transform_norm")
    self.output_layer = TiedOutput(self.embedding.token_embedding, name="tied_output")
    token_ids = keras.Input(batch_shape=(None, sequence_length), dtype="int32")
    positions = keras.Input(batch_shape=(None, num_targets), dtype="int32")
    self((token_ids, positions))

  def encoder_layers(self) -> list[keras.layers.Layer]:
    """The layers the classifier shares, in `TransformerClassifier.encoder_layers()`'s order."""
    return [self.embedding, *self.encoder_blocks]

  def call(self, inputs, training=False):
    token_ids, positions = inputs
    x = self.embedding(token_ids)  # (batch, seq, embedding_dim)
    keep = ops.cast(ops.not_equal(token_ids, 0), x.dtype)  # (batch, seq): the classifier's padding mask
    for block in self.encoder_blocks:
      x = block(x, mask=keep, training=training)
    picked = ops.take_along_axis(x, positions[:, :, None], axis=1)  # (batch, num_targets, embedding_dim)
    return self.output_layer(self.transform_norm(self.transform(picked)))  # (batch, num_targets, vocab_size)

  def get_config(self):
    config = super().get_config()
    config.update({"vocab_size": self.vocab_size, "sequence_length": self.sequence_length,
                   "num_targets": self.num_targets, "embedding_dim": self.embedding_dim,
                   "num_layers": self.num_layers, "num_heads": self.num_heads, "ff_dim": self.ff_dim,
                   "dropout": self.dropout})
    return config
