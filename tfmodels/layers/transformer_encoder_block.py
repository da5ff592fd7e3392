"""Post-norm transformer encoder block."""

from __future__ import annotations

import keras
from keras import ops
from keras.src.backend.common.masking import set_keras_mask  # pylint: disable=g-direct-third-party-import

from tfmodels.layers.attention_masking import masked_softmax
from tfmodels.layers.centered_layer_normalization import CenteredLayerNormalization


@keras.saving.register_keras_serializable(package="tfmodels")
class TransformerEncoderBlock(keras.layers.Layer):
  """Self-attention and a GELU feed-forward network, each wrapped in dropout, a residual and a LayerNormalization.

  The block is post-norm (`x = norm(x + dropout(sublayer(x)))`), as in the original Transformer and BERT: the output
  is already normalized, so a stack of blocks needs no final LayerNormalization, and small stacks train well with
  it. The model width is read from the input.

  The padding mask `(batch, seq)` (True at real tokens) arrives as `mask`, either passed explicitly or propagated by
  Keras from a mask-producing layer such as `PositionalEmbedding`; padded keys get no attention. With `causal=True`
  each position also attends only to itself and earlier positions, for use in a language model.

  Inputs are `(batch, seq, d_model)`; outputs have the same shape, and the mask passes through unchanged.

  A causal block also runs with a key/value cache, for generation in constant work per token: `prefill` reads a
  whole window and returns its keys and values, `decode` reads one position, writes its key and value into the cache
  at that position and attends over positions `0..position`. Both mask with `masked_softmax` (the masking that
  full-integer TFLite survives), so they are one traced graph for Keras and the converter; they agree with `call`
  within 1e-4.

  Args:
    num_heads: attention heads; must divide the input width.
    ff_dim: hidden width of the feed-forward network.
    dropout: dropout rate of the attention probabilities and of both residual branches.
    causal: mask out attention to later positions.
    layer_norm_epsilon: epsilon of both LayerNormalizations.
    **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).
  """

  def __init__(self, num_heads: int, ff_dim: int, dropout: float = 0.0, causal: bool = False,
               layer_norm_epsilon: float = 1e-5, **kwargs):
    super().__init__(**kwargs)
    self.num_heads = num_heads
    self.ff_dim = ff_dim
    self.dropout = dropout
    self.causal = causal
    self.layer_norm_epsilon = layer_norm_epsilon
    self.supports_masking = True

  def build(self, input_shape):
    d_model = input_shape[-1]
    if d_model % self.num_heads:
      raise ValueError(f"The input width ({d_model}) must be a multiple of num_heads ({self.num_heads}).")
    sublayer_args = {"dtype": self.dtype_policy}
    self.attention = keras.layers.MultiHeadAttention(
        num_heads=self.num_heads, key_dim=d_model // self.num_heads, dropout=self.dropout, name="attention",
        **sublayer_args)
    self.attention.build(input_shape, input_shape)
    self.attention_dropout = keras.layers.Dropout(self.dropout, name="attention_dropout", **sublayer_args)
    self.attention_norm = CenteredLayerNormalization(
        epsilon=self.layer_norm_epsilon, name="attention_norm", **sublayer_args)
    self.attention_norm.build(input_shape)
    self.ff_hidden = keras.layers.Dense(self.ff_dim, activation="gelu", name="ff_hidden", **sublayer_args)
    self.ff_hidden.build(input_shape)
    self.ff_output = keras.layers.Dense(d_model, name="ff_output", **sublayer_args)
    self.ff_output.build((*input_shape[:-1], self.ff_dim))
    self.ff_dropout = keras.layers.Dropout(self.dropout, name="ff_dropout", **sublayer_args)
    self.ff_norm = CenteredLayerNormalization(epsilon=self.layer_norm_epsilon, name="ff_norm", **sublayer_args)
    self.ff_norm.build(input_shape)
    super().build(input_shape)

  def call(self, inputs, mask=None, training=False):
    # Keys at padding get no attention: the mask becomes a 0/1 factor `(batch, 1, 1, seq)` that `masked_softmax`
    # applies with arithmetic, so the graph has no LOGICAL_AND or SELECT per block (TFLite's kernels for those are
    # not XNNPACK's, and each one splits the delegated graph). A float mask (1 = real token) is used as it is: a
    # model passes its padding mask cast once to every block. A padded query attends the real keys; its output is
    # never read (pooling and the loss skip it).
    visible = None
    if mask is not None:
      visible = ops.cast(mask, inputs.dtype)[:, None, None, :]
    if self.causal:
      positions = ops.arange(ops.shape(inputs)[1])
      causal = ops.cast(positions[None, :] <= positions[:, None], inputs.dtype)[None, None]  # (1, 1, seq, seq)
      visible = causal if visible is None else visible * causal
    # The padding mask Keras attached to `inputs` is read (above, or as `visible`); detached here, so that the
    # projections (which take no mask) do not warn that they drop it. The block's output gets it back from Keras.
    set_keras_mask(inputs, None)
    query, key, value = self._projections(inputs)
    return self._attend(inputs, query, key, value, visible, multiply=True, training=training)

  def prefill(self, inputs):
    """Causal self-attention over a whole window at inference, returning the cache it fills.

    Args:
      inputs: `(batch, T, d_model)`, positions 0..T-1.

    Returns:
      `(outputs (batch, T, d_model), keys, values)`; keys and values are `(batch, T, heads, key_dim)`.
    """
    query, key, value = self._projections(inputs)
    positions = ops.arange(ops.shape(inputs)[1])
    visible = positions[None, :] <= positions[:, None]  # (T, T): query t sees keys 0..t
    return self._attend(inputs, query, key, value, visible[None, None]), key, value

  def decode(self, inputs, key_cache, value_cache, position):
    """One position at inference: writes its key and value into the cache at `position`, attends over 0..position.

    Args:
      inputs: `(batch, 1, d_model)`, the position's input.
      key_cache, value_cache: `(batch, T, heads, key_dim)`: keys and values of positions 0..position-1 (later
        positions are ignored).
      position: int32 `(batch,)`, in 0..T-1.

    Returns:
      `(outputs (batch, 1, d_model), key_cache, value_cache)` with the position written.
    """
    outputs, key, value = self.decode_step(inputs, key_cache, value_cache, position)
    length = ops.shape(key_cache)[1]
    # A one-hot blend rather than a scatter: multiplications by 0 and 1 are exact, and stay builtin and quantizable.
    written = ops.one_hot(position, length, dtype=key_cache.dtype)[:, :, None, None]  # (batch, T, 1, 1)
    return (outputs, key_cache * (1.0 - written) + key * written, value_cache * (1.0 - written) + value * written)

  def decode_step(self, inputs, key_cache, value_cache, position):
    """`decode` without writing the cache: returns the position's key and value beside the output.

    The position attends over the cache's positions `0..position-1` and over its own key and value, which is what
    `decode` computes, without reading or writing the whole cache once more per block (a runtime that holds the
    cache writes the returned key and value at `position` itself).

    Returns:
      `(outputs (batch, 1, d_model), key (batch, 1, heads, key_dim), value (batch, 1, heads, key_dim))`.
    """
    attention = self.attention
    # pylint: disable=protected-access
    query, key, value = self._projections(inputs)  # (batch, 1, heads, key_dim) each
    query = ops.multiply(query, ops.cast(attention._inverse_sqrt_key_dim, query.dtype))
    scores = ops.concatenate([ops.einsum(attention._dot_product_equation, key_cache, query),
                              ops.einsum(attention._dot_product_equation, key, query)], axis=-1)  # (b, h, 1, T+1)
    length = ops.shape(key_cache)[1]
    earlier = ops.arange(length)[None, :] < position[:, None]  # (batch, T)
    visible = ops.concatenate([earlier, ops.ones_like(earlier[:, :1])], axis=-1)  # (batch, T+1): itself too
    weights = masked_softmax(scores, visible[:, None, None, :], multiply=True)  # (batch, heads, 1, T+1)
    combined = (ops.einsum(attention._combine_equation, weights[..., :length], value_cache)
                + ops.einsum(attention._combine_equation, weights[..., length:], value))  # (batch, 1, heads, d)
    return self._residual_and_feed_forward(inputs, attention._output_dense(combined), training=False), key, value

  def _projections(self, inputs):
    """Query, key and value of every position: each `(batch, seq, heads, key_dim)`."""
    attention = self.attention
    # pylint: disable=protected-access
    return attention._query_dense(inputs), attention._key_dense(inputs), attention._value_dense(inputs)

  def _attend(self, inputs, query, key, value, visible, multiply: bool = False, training=False):
    """The block's output for queries over keys and values.

    Args:
      visible: `(batch or 1, 1, T_query or 1, T_key)`, what each query may attend (bool, or 0/1 with `multiply`), or
        None for every key.
      multiply: apply `visible` with arithmetic (`masked_softmax`).
    """
    attention = self.attention
    # pylint: disable=protected-access
    query = ops.multiply(query, ops.cast(attention._inverse_sqrt_key_dim, query.dtype))
    scores = ops.einsum(attention._dot_product_equation, key, query)  # (batch, heads, T_query, T_key)
    weights = ops.softmax(scores, axis=-1) if visible is None else masked_softmax(scores, visible, multiply=multiply)
    weights = attention._dropout_layer(weights, training=training)
    combined = ops.einsum(attention._combine_equation, weights, value)  # (batch, T_query, heads, key_dim)
    return self._residual_and_feed_forward(inputs, attention._output_dense(combined), training=training)

  def _residual_and_feed_forward(self, inputs, attended, training):
    """Everything after the attention: dropout, residual, norm, feed-forward, dropout, residual, norm."""
    x = self.attention_norm(inputs + self.attention_dropout(attended, training=training))
    steps, width = x.shape[1], x.shape[2]
    if x.shape[0] is None and steps is not None:
      # Of a batch of unknown size, the feed-forward layers see the positions as rows `(batch * seq, d_model)`: a
      # Dense layer on a 3-D input of unknown batch lowers to TensorFlow's tensordot, whose SHAPE, REDUCE_PROD and
      # computed RESHAPE operators XNNPACK does not take (a TFLite file of any batch size fell into 5 partitions);
      # two reshapes by constants keep it one. A graph of static shapes folds the tensordot away and stays as it is.
      flat = ops.reshape(x, (-1, width))
      ff = ops.reshape(self.ff_output(self.ff_hidden(flat)), (-1, steps, width))  # (batch, seq, d_model)
    else:
      ff = self.ff_output(self.ff_hidden(x))  # (batch, seq, d_model), through (batch, seq, ff_dim)
    return self.ff_norm(x + self.ff_dropout(ff, training=training))

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    config = super().get_config()
    config.update({
        "num_heads": self.num_heads,
        "ff_dim": self.ff_dim,
        "dropout": self.dropout,
        "causal": self.causal,
        "layer_norm_epsilon": self.layer_norm_epsilon,
    })
    return config
