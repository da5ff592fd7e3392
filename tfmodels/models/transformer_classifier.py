"""Transformer encoder text classifier."""

from __future__ import annotations

import keras
from keras import ops

from tfmodels.config import TransformerConfig
from tfmodels.layers.attention_masking import presence_factor
from tfmodels.layers.positional_embedding import PositionalEmbedding
from tfmodels.layers.transformer_encoder_block import TransformerEncoderBlock
from tfmodels.models.text_classifier import TextClassifier

POOLINGS = ("mean", "max")


@keras.saving.register_keras_serializable(package="tfmodels")
class TransformerClassifier(TextClassifier):
  """Classifies token-id sequences with transformer encoder blocks and masked pooling; outputs logits.

  Token and learned position embeddings are added (`PositionalEmbedding`), `num_layers` post-norm
  `TransformerEncoderBlock`s follow, and the tokens are pooled by a mean or max over the real (non-padding) tokens,
  then dropout and the output layer. Token id 0 is padding: it is masked out of attention and of pooling, so padding
  does not change the result. The output layer computes in float32, so logits stay float32 under a mixed precision
  policy.

  The model is built on construction (it is called once on a symbolic `keras.Input` of `input_signature()`),
  so `summary()` and `count_params()` work at once.

  Args:
    num_classes: number of output logits.
    vocab_size: number of token ids, including the padding id 0.
    sequence_length: number of token ids per example.
    embedding_dim: model width; a multiple of `num_heads`.
    num_layers: number of encoder blocks.
    num_heads: attention heads per block.
    ff_dim: hidden width of the feed-forward networks.
    dropout: dropout rate in the blocks and before the output layer.
    pooling: `mean` or `max` over the real tokens.
    ngram_buckets: with > 0, a linear model over the text's word unigrams and this many hashed bigram rows adds
      its logits (`TextClassifier`); 0 = none.
    **kwargs: standard `keras.Model` arguments (`name`, `dtype`, ...).
  """

  def __init__(self, num_classes: int, vocab_size: int, sequence_length: int,
               embedding_dim: int = TransformerConfig.embedding_dim, num_layers: int = TransformerConfig.num_layers,
               num_heads: int = TransformerConfig.num_heads, ff_dim: int = TransformerConfig.ff_dim,
               dropout: float = TransformerConfig.dropout, pooling: str = TransformerConfig.pooling,
               ngram_buckets: int = TransformerConfig.ngram_buckets, **kwargs):
    super().__init__(**kwargs)
    self.num_classes = num_classes
    self.vocab_size = vocab_size
    self.sequence_length = sequence_length
    self.ngram_buckets = ngram_buckets
    self.embedding_dim = embedding_dim
    self.num_layers = num_layers
    self.num_heads = num_heads
    self.ff_dim = ff_dim
    self.dropout = dropout
    self.pooling = pooling
    if pooling not in POOLINGS:
      raise ValueError(f"Unknown pooling '{pooling}'; expected one of {', '.join(POOLINGS)}.")

    self.embedding = PositionalEmbedding(vocab_size, sequence_length, embedding_dim, name="embedding")
    self.encoder_blocks = [
        TransformerEncoderBlock(num_heads, ff_dim, dropout=dropout, name=f"encoder_block_{i}")
        for i in range(num_layers)
    ]
    self.head_dropout = keras.layers.Dropout(dropout, name="head_dropout")
    self.add_head(num_classes, vocab_size, ngram_buckets)
    self.build_on_signature()

  def encoder_layers(self) -> list[keras.layers.Layer]:
    """The layers a pretrained `TransformerEncoderMlm` hands its weights to, in its `encoder_layers()`'s order."""
    return [self.embedding, *self.encoder_blocks]

  def call(self, inputs, training=False):
    x = self.embedding(inputs)  # (batch, seq, embedding_dim)
    # The padding mask as 0/1 in the compute dtype, once: every block and the pooling apply it with arithmetic, so
    # XNNPACK runs the rest of the converted graph as one partition; looked up, so `full_int8` stays integer-only.
    keep = presence_factor(inputs, x.dtype)  # (batch, seq), 1 at real tokens
    for block in self.encoder_blocks:
      x = block(x, mask=keep, training=training)  # (batch, seq, embedding_dim)
    x = self._pool(x, keep)  # (batch, embedding_dim)
    x = self.head_dropout(x, training=training)
    return self.head(x, inputs)  # (batch, num_classes), float32

  def _pool(self, x, keep):
    token_mask = keep[:, :, None]  # (batch, seq, 1)
    if self.pooling == "mean":
      # The max() keeps an all-padding row finite (zero) instead of 0 / 0.
      count = ops.maximum(ops.sum(token_mask, axis=1), 1.0)  # (batch, 1)
      return ops.sum(x * token_mask, axis=1) / count
    # Padded positions take each feature's minimum over the sequence, which never beats a real token, rather than a
    # huge negative constant that would wreck the range of an int8-quantized tensor; multiplying by 0 and 1 (exact)
    # rather than `where` keeps it an XNNPACK operator.
    floor = ops.min(x, axis=1, keepdims=True)  # (batch, 1, embedding_dim)
    return ops.max(x * token_mask + floor * (1.0 - token_mask), axis=1)

  def get_config(self):
    config = super().get_config()
    config.update({
        "num_classes": self.num_classes,
        "vocab_size": self.vocab_size,
        "sequence_length": self.sequence_length,
        "ngram_buckets": self.ngram_buckets,
        "embedding_dim": self.embedding_dim,
        "num_layers": self.num_layers,
        "num_heads": self.num_heads,
        "ff_dim": self.ff_dim,
        "dropout": self.dropout,
        "pooling": self.pooling,
    })
    return config
