"""Causal Transformer language model."""

from __future__ import annotations

import keras
from keras import ops

from edge.text_generator import default_reprefill_length
from tfmodels.config import TransformerLmConfig
from tfmodels.layers.positional_embedding import PositionalEmbedding
from tfmodels.layers.transformer_encoder_block import TransformerEncoderBlock
from tfmodels.models.token_sequence_model import TokenSequenceModel


@keras.saving.register_keras_serializable(package="tfmodels")
class TransformerLm(TokenSequenceModel):
  """Predicts each next token of a token-id sequence with causal transformer blocks; outputs logits per position.

  Token and learned position embeddings are added (`PositionalEmbedding`), dropout follows, then `num_layers`
  post-norm `TransformerEncoderBlock`s with a causal mask: position `t` sees positions `0..t` only. The logits at
  position `t` are the model's prediction of token `t + 1`. Because of the causal mask, tokens after `t` (for instance
  padding on the right of a short prompt) never change the logits at `t`, so a prompt shorter than the context window
  is read by right-padding it and taking the logits at its last token.

  Generation runs in constant work per token through a key/value cache (`prefill`, then `decode` per token): the
  cache is a tuple `(keys_0, values_0, keys_1, values_1, ...)`, one pair per block, each
  `(batch, sequence_length, num_heads, embedding_dim // num_heads)` (`cache_shapes`), held by the caller.
  `decode_step` returns only the position's keys and values, for a caller that writes them into its cache itself.

  With `tie_embeddings` the output logits are the final states times the transposed token embedding (no separate
  output layer); otherwise a dense layer computes them. Either way they are float32, also under mixed precision.

  Args:
    vocab_size: number of token ids, including the padding id 0.
    sequence_length: the context window: the longest sequence the model reads.
    embedding_dim: model width; a multiple of `num_heads`.
    num_layers: number of causal blocks.
    num_heads: attention heads per block.
    ff_dim: hidden width of the feed-forward networks.
    dropout: dropout on the embeddings and in the blocks.
    tie_embeddings: share the token embedding with the output layer.
    **kwargs: standard `keras.Model` arguments (`name`, `dtype`, ...).
  """

  def __init__(self, vocab_size: int, sequence_length: int, embedding_dim: int = TransformerLmConfig.embedding_dim,
               num_layers: int = TransformerLmConfig.num_layers, num_heads: int = TransformerLmConfig.num_heads,
               ff_dim: int = TransformerLmConfig.ff_dim, dropout: float = TransformerLmConfig.dropout,
               tie_embeddings: bool = TransformerLmConfig.tie_embeddings, **kwargs):
    super().__init__(**kwargs)
    self.vocab_size = vocab_size
    self.sequence_length = sequence_length
    self.embedding_dim = embedding_dim
    self.num_layers = num_layers
    self.num_heads = num_heads
    self.ff_dim = ff_dim
    self.dropout = dropout
    self.tie_embeddings = tie_embeddings

    self.embedding = PositionalEmbedding(vocab_size, sequence_length, embedding_dim, name="embedding")
    self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
    self.blocks = [TransformerEncoderBlock(num_heads, ff_dim, dropout=dropout, causal=True, name=f"block_{i}")
                   for i in range(num_layers)]
    self.logits = None if tie_embeddings else keras.layers.Dense(vocab_size, dtype="float32", name="logits")
    self.build_on_signature()

  @property
  def num_classes(self) -> int:
    """Logits per position: one per token id."""
    return self.vocab_size

  def call(self, inputs, training=False):
    x = self.embedding(inputs)  # (batch, seq, embedding_dim)
    x = self.embedding_dropout(x, training=training)
    for block in self.blocks:
      # The causal mask alone: right padding lies in every real position's future, so it needs no padding mask.
      x = block(x, mask=None, training=training)  # (batch, seq, embedding_dim)
    return self._output_logits(x)  # (batch, seq, vocab_size), float32

  def cache_names(self) -> tuple[str, ...]:
    """Names of the cache tensors, in cache order (the names of the TFLite signature tensors, as litert-torch's)."""
    return tuple(f"kv_cache_{kind}_{i}" for i in range(self.num_layers) for kind in ("k", "v"))

  def cache_shapes(self, batch_size: int) -> tuple[tuple[int, ...], ...]:
    """Shapes of the cache tensors, in cache order."""
    shape = (batch_size, self.sequence_length, self.num_heads, self.embedding_dim // self.num_heads)
    return (shape,) * (2 * self.num_layers)

  def prefill_lengths(self) -> tuple[int, ...]:
    """Lengths of the prefills a runtime needs, shortest first: half a window, which a full window slides back to
    (`default_reprefill_length`), and the whole window. A prefill's work is its static length, however few of its
    tokens are real, so a slide through a shorter one costs about half."""
    half = default_reprefill_length(self.sequence_length)
    return (half, self.sequence_length) if half < self.sequence_length else (self.sequence_length,)

  def prefill(self, token_ids):
    """Reads a right-padded window at inference and fills the cache.

    Args:
      token_ids: int32 `(batch, length)`, length <= sequence_length (one of `prefill_lengths`): the real tokens
        first, then padding (0), at positions 0..length-1.

    Returns:
      `(logits, cache)`: float32 `(batch, vocab_size)` logits of the token after each window's last real token, and
      the cache of every position read, `(batch, length, ...)` (those of padding are overwritten by `decode` before
      they are read).
    """
    positions = ops.arange(ops.shape(token_ids)[1])[None, :]
    x = self.embedding.embed_at(token_ids, positions)  # (batch, T, embedding_dim); no padding mask: causal alone
    cache = []
    for block in self.blocks:
      x, keys, values = block.prefill(x)  # (batch, T, embedding_dim)
      cache += [keys, values]
    lengths = ops.sum(ops.cast(ops.not_equal(token_ids, 0), "int32"), axis=1)  # (batch,)
    last = ops.take_along_axis(x, ops.maximum(lengths - 1, 0)[:, None, None], axis=1)  # (batch, 1, embedding_dim)
    return self._output_logits(last)[:, 0], tuple(cache)

  def decode(self, token_ids, positions, cache):
    """Reads one token per row at its position, writing the cache there; attends over positions 0..position.

    Args:
      token_ids: int32 `(batch,)`: the token at `positions`.
      positions: int32 `(batch,)` in 0..sequence_length-1; the cache holds the positions before it.
      cache: as `prefill` returns it.

    Returns:
      `(logits, cache)`: float32 `(batch, vocab_size)` logits of the next token, and the cache with the position
      written.
    """
    x = self.embedding.embed_at(token_ids[:, None], positions[:, None])  # (batch, 1, embedding_dim)
    written = []
    for i, block in enumerate(self.blocks):
      x, keys, values = block.decode(x, cache[2 * i], cache[2 * i + 1], positions)  # (batch, 1, embedding_dim)
      written += [keys, values]
    return self._output_logits(x)[:, 0], tuple(written)

  def decode_step(self, token_ids, positions, cache):
    """`decode` that returns only what it adds to the cache: `(logits, entries)`, the key and value of the position
    for each block, `(batch, 1, num_heads, head_dim)` each in cache order, for the holder of the cache to write at
    `positions` (the result then equals `decode`'s). The TFLite `decode` signature runs this, so a step reads the
    cache once and writes nothing of it."""
    x = self.embedding.embed_at(token_ids[:, None], positions[:, None])  # (batch, 1, embedding_dim)
    entries = []
    for i, block in enumerate(self.blocks):
      x, key, value = block.decode_step(x, cache[2 * i], cache[2 * i + 1], positions)  # (batch, 1, embedding_dim)
      entries += [key, value]
    return self._output_logits(x)[:, 0], tuple(entries)

  def _output_logits(self, x):
    """float32 logits of final states `(batch, seq, embedding_dim)`: `(batch, seq, vocab_size)`."""
    if self.logits is not None:
      return self.logits(x)
    table = ops.cast(self.embedding.token_embedding.embeddings, "float32")  # (vocab_size, embedding_dim)
    return ops.matmul(ops.cast(x, "float32"), ops.transpose(table))

  def get_config(self):
    config = super().get_config()
    config.update({
        "vocab_size": self.vocab_size,
        "sequence_length": self.sequence_length,
        "embedding_dim": self.embedding_dim,
        "num_layers": self.num_layers,
        "num_heads": self.num_heads,
        "ff_dim": self.ff_dim,
        "dropout": self.dropout,
        "tie_embeddings": self.tie_embeddings,
    })
    return config
