"""A TFLite-friendly forward pass of `TransformerLm`: attention masking that full-integer quantization survives.

Keras fills the masked attention scores with a huge negative number before the softmax, which ruins the int8 range
of the softmax input (`tfmodels.layers.attention_masking` gives the measured effect). `int8_friendly_logits` runs the
model with each attention layer masking through `masked_softmax` instead: masked scores go to their row's lowest score
minus `MASK_MARGIN`, so float results stay within the float32 gate, while the int8 range spans only the real scores
and the margin. It only changes what the converter traces: the Keras model is untouched. The cached path
(`TransformerLm.prefill` / `decode`) masks the same way itself.
"""

from __future__ import annotations

import contextlib
import functools

import keras
from keras import ops
import tensorflow as tf

from tfmodels.layers.attention_masking import masked_softmax
from tfmodels.models.transformer_lm import TransformerLm


def int8_friendly_logits(model: TransformerLm, token_ids: tf.Tensor) -> tf.Tensor:
  """`model(token_ids)` at inference, with quantization-friendly attention masking: `(batch, seq, vocab_size)`."""
  with _friendly_attention([block.attention for block in model.blocks]):
    return model(token_ids, training=False)


@contextlib.contextmanager
def _friendly_attention(layers: list[keras.layers.MultiHeadAttention]):
  """Replaces the attention computation of `layers` while the body runs (while a graph is traced)."""
  for layer in layers:
    layer._compute_attention = functools.partial(_compute_attention, layer)  # pylint: disable=protected-access
  try:
    yield
  finally:
    for layer in layers:
      del layer._compute_attention  # pylint: disable=protected-access


def _compute_attention(layer: keras.layers.MultiHeadAttention, query, key, value, attention_mask=None, training=None,
                       return_attention_scores=False, use_causal_mask=False):
  """`MultiHeadAttention._compute_attention` at inference (its documented override point), masked as above."""
  del training, return_attention_scores  # inference: no dropout; the scores are returned anyway
  # pylint: disable=protected-access
  if use_causal_mask:
    causal = layer._compute_causal_mask(query, value)  # (1, T, S)
    attention_mask = causal if attention_mask is None else ops.logical_and(ops.cast(attention_mask, "bool"), causal)
  query = ops.multiply(query, ops.cast(layer._inverse_sqrt_key_dim, query.dtype))
  scores = ops.einsum(layer._dot_product_equation, key, query)  # (batch, heads, T, S)
  if attention_mask is None:
    weights = ops.softmax(scores, axis=-1)
  else:
    weights = masked_softmax(scores, ops.expand_dims(ops.cast(attention_mask, "bool"), axis=1))  # (batch, heads, T, S)
  return ops.einsum(layer._combine_equation, weights, value), weights  # (batch, T, heads, value_dim)
