"""A language model as a next-token function in TensorFlow: the logits after the last real token of each window.

A window holds the last `sequence_length` tokens of a text, right-padded with id 0. Padding never occurs inside a
text (a character the vocabulary lacks is id 1), so the length of a window is its number of non-zero ids, and the
serving signature and the `.tflite` file take the window alone, as the text classifiers take their token ids: one
int32 input, nothing that could disagree with it. The edge runtime and `TextGenerator` build windows exactly so.
A window of padding only has no next token; it gives the logits after the first position (meaningless, never
asked for by the generation loops).

For the converter an `LstmLm` runs through fused LSTM ops (`lstm_graph.fused_lstm_lm_logits`) and a `TransformerLm`
with attention masking that survives full-integer quantization (`transformer_graph.int8_friendly_logits`); the
SavedModel (any batch size) runs the Keras model itself.

`generation_signatures` gives the two signatures of constant-work generation, on the models' cached path
(`prefill` / `decode`, which mask attention as `int8_friendly_logits` does), batch 1, static shapes, with the
names of litert-torch's generative API (which MediaPipe's and LiteRT-LM's runtimes read):

  prefill(tokens int32 (1, T))  a right-padded window -> logits float32 (1, V) of the token after its last real
                                token, and every cache tensor
  prefill_<n>(tokens int32 (1, n))  the same for the first n < T positions of a window, with the cache of those
                                positions: a transformer's half window (`TransformerLm.prefill_lengths`), which a
                                slide re-reads, costs half a whole window's prefill
  decode(tokens int32 (1, 1), input_pos int32 (1,), cache...)  one token at position `input_pos` -> logits (1, V)
                                of the next one, and what the step adds to the cache (`model.decode_step`)

The cache tensors are `kv_cache_k_<i>`, `kv_cache_v_<i>` `(1, T, heads, head_dim)` per transformer block, or
`lstm_state_h_<i>`, `lstm_state_c_<i>` `(1, units)` per LSTM (`cache_names()`), float32. `prefill` outputs the
whole cache. `decode` outputs, under the same names, the LSTM's new states (the whole cache again), but only the
transformer's key and value of position `input_pos`, `(1, 1, heads, head_dim)`, which the runtime writes into its
cache there (`edge.CachedSignatures`): a step that returned the whole cache spent most of its time writing it
(0.38 ms of a novels transformer's decode step, one thread).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from edge.model_metadata import DECODE, PREFILL, short_prefill_key
from export.tflite.lstm_graph import fused_lstm_lm_logits
from export.tflite.transformer_graph import int8_friendly_logits
from tfmodels.models.lstm_lm import LstmLm
from tfmodels.models.transformer_lm import TransformerLm

# int32 token ids (batch, sequence_length) -> float32 logits at every position (batch, sequence_length, vocab_size).
PositionLogits = Callable[[tf.Tensor], tf.Tensor]


def window_lengths(token_ids: tf.Tensor) -> tf.Tensor:
  """The real tokens of each right-padded window: int32 `(batch,)`."""
  return tf.reduce_sum(tf.cast(tf.not_equal(token_ids, 0), tf.int32), axis=1)


def next_token_logits(position_logits: PositionLogits, token_ids: tf.Tensor) -> tf.Tensor:
  """The logits of the token after the last real one of each window: float32 `(batch, vocab_size)`."""
  logits = position_logits(token_ids)  # (batch, seq, vocab_size)
  last = tf.maximum(window_lengths(token_ids) - 1, 0)  # (batch,)
  return tf.gather(logits, last, axis=1, batch_dims=1)  # (batch, vocab_size)


def keras_position_logits(model: keras.Model) -> PositionLogits:
  """The Keras model at inference, as a function of token ids."""
  return lambda token_ids: model(token_ids, training=False)


def tflite_position_logits(model: keras.Model) -> PositionLogits:
  """The forward pass the TFLite converter sees (see the module docstring)."""
  if isinstance(model, LstmLm):
    return lambda token_ids: fused_lstm_lm_logits(model, token_ids)
  if isinstance(model, TransformerLm):
    return lambda token_ids: int8_friendly_logits(model, token_ids)
  return keras_position_logits(model)




def generation_signatures(model: keras.Model, **options) -> dict[str, tuple[Callable, list[tf.TensorSpec]]]:
  """The `prefill`, `decode` and shorter `prefill_<n>` signatures of a language model, in this order (the file's
  subgraphs): `{key: (function, input specs)}`.

  `options` go to the model's `prefill` and `decode_step` (an `LstmLm`'s `cell_clip`)."""
  names = model.cache_names()
  cache_specs = [tf.TensorSpec(shape, tf.float32, name=name) for name, shape in zip(names, model.cache_shapes(1))]

  def prefill(tokens):
    logits, cache = model.prefill(tokens, **options)
    return {"logits": logits, **dict(zip(names, cache))}

  def decode(tokens, input_pos, *cache):
    logits, entries = model.decode_step(tokens[:, 0], input_pos, cache, **options)
    return {"logits": logits, **dict(zip(names, entries))}

  return {
      PREFILL: (prefill, [tf.TensorSpec((1, model.sequence_length), tf.int32, name="tokens")]),
      DECODE: (decode, [tf.TensorSpec((1, 1), tf.int32, name="tokens"), tf.TensorSpec((1,), tf.int32,
                                                                                       name="input_pos"),
                        *cache_specs]),
      **{short_prefill_key(length): (prefill, [tf.TensorSpec((1, length), tf.int32, name="tokens")])
         for length in short_prefill_lengths(model)},
  }


def short_prefill_lengths(model: keras.Model) -> list[int]:
  """The lengths of a language model's prefills shorter than its window (`prefill_<n>` signatures)."""
  return [length for length in model.prefill_lengths() if length < model.sequence_length]
