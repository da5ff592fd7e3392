"""TFLite-friendly forward passes of the LSTM models: fused `UNIDIRECTIONAL_SEQUENCE_LSTM` ops, or unrolled.

Keras 3's LSTM is a `tf.while_loop` that the converter leaves as a `WHILE` loop (and whose full-integer calibration
crashed here). TFLite's converter fuses a function into its `UNIDIRECTIONAL_SEQUENCE_LSTM` op when the function
carries the attributes tf.keras 2 gave its LSTM (`api_implements="lstm_..."`, `time_major`, `go_backwards`) and the
argument order of its `standard_lstm` (inputs, initial h, initial c, kernel, recurrent kernel, bias), with static
shapes. `fused_lstm_logits` rebuilds the classifier's forward pass around such a function; the function body is a
plain LSTM that the converter replaces (and that TensorFlow runs when the SavedModel is called).

The fused op has no mask input, while the Keras model skips padding. Padding (id 0) only ever comes at the end of a
sequence, so the forward direction's output at the last real token equals Keras' masked result, and the backward
direction reads the real tokens reversed (`tf.reverse_sequence` on the ids: the int8 kernels have no
`REVERSE_SEQUENCE` for activations). A text of padding only gives zeros, as in Keras.

The fused op keeps its state in variable tensors that carry over from one `invoke()` to the next, so a runtime must
call `Interpreter.reset_all_variables()` before each input (`TfliteOps.variable_tensors` counts such tensors).

`unrolled_copy` is the fallback: the same model with `unroll=True` (a chain of builtin ops per time step).

`fused_lstm_lm_logits` does the same for an `LstmLm`: its stacked LSTMs become fused ops returning every step's
output, and the logits of every position come out as from the Keras model (a language model reads left to right, so
right padding never changes the positions before it).
"""

from __future__ import annotations

import tensorflow as tf

from tfmodels.layers.attention_masking import presence_factor
from tfmodels.models.lstm_classifier import LstmClassifier
from tfmodels.models.lstm_lm import LstmLm

LSTM_GRAPHS = ("fused", "unrolled")


def fused_lstm_logits(model: LstmClassifier, token_ids: tf.Tensor) -> tf.Tensor:
  """The logits of `model` on int32 `token_ids` `(batch, sequence_length)` (static shape), through fused LSTMs."""
  lengths = tf.reduce_sum(tf.cast(tf.not_equal(token_ids, 0), tf.int32), axis=1)  # (batch,)
  if model.bidirectional:
    features = tf.concat([_last_output(model, model.lstm.forward_layer, token_ids, lengths),
                          _last_output(model, model.lstm.backward_layer, token_ids, lengths)], axis=-1)
  else:
    features = _last_output(model, model.lstm, token_ids, lengths)  # (batch, lstm_units)
  return model.head(features, token_ids)  # (batch, num_classes)


def unrolled_copy(model: LstmClassifier) -> LstmClassifier:
  """The same classifier, weights included, with its LSTM unrolled over the sequence."""
  copy = LstmClassifier.from_config({**model.get_config(), "unroll": True})
  copy.set_weights(model.get_weights())
  return copy


def fused_lstm_lm_logits(model: LstmLm, token_ids: tf.Tensor) -> tf.Tensor:
  """The logits of `model` at every position of int32 `token_ids` `(batch, sequence_length)` (static shape), through
  fused LSTMs: `(batch, sequence_length, vocab_size)`, as `model(token_ids)` (dropout is off at inference)."""
  x = model.embedding(token_ids)  # (batch, seq, embedding_dim)
  for lstm in model.lstms:
    x = _fused_sequence(lstm, x)  # (batch, seq, lstm_units)
  return model.logits(x)  # (batch, seq, vocab_size)


def _last_output(model: LstmClassifier, layer, token_ids: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
  """The output of one LSTM direction after the last real token: `(batch, units)`."""
  if layer.go_backwards:
    token_ids = tf.reverse_sequence(token_ids, lengths, seq_axis=1, batch_axis=0)
  outputs = _fused_sequence(layer, model.embedding(token_ids))  # (batch, seq, units)
  last = tf.gather(outputs, tf.maximum(lengths - 1, 0), axis=1, batch_dims=1)  # (batch, units)
  # An all-padding row reads zeros, as the masked Keras LSTM returns (looked up, so `full_int8` stays integer-only).
  return last * presence_factor(lengths, last.dtype)[:, None]


def _fused_sequence(layer, inputs: tf.Tensor) -> tf.Tensor:
  """The outputs of a (forward) Keras LSTM at every step of `inputs` `(batch, seq, width)`: `(batch, seq, units)`."""
  cell = layer.cell
  if cell.activation.__name__ != "tanh" or cell.recurrent_activation.__name__ != "sigmoid" or not cell.use_bias:
    raise ValueError("The fused TFLite LSTM computes tanh/sigmoid gates with a bias; this LSTM differs. Export it "
                     "with --lstm_graph=unrolled.")
  batch, steps, width = inputs.shape
  zeros = tf.zeros((batch, cell.units), inputs.dtype)
  lstm = _standard_lstm(batch, steps, width, cell.units)
  _, outputs, _, _, _ = lstm(inputs, zeros, zeros, cell.kernel.value, cell.recurrent_kernel.value, cell.bias.value)
  return outputs


def _standard_lstm(batch: int, steps: int, width: int, units: int):
  """A function the converter fuses into `UNIDIRECTIONAL_SEQUENCE_LSTM` (Keras gate order i, f, c, o)."""
  signature = [tf.TensorSpec((batch, steps, width)), tf.TensorSpec((batch, units)), tf.TensorSpec((batch, units)),
               tf.TensorSpec((width, 4 * units)), tf.TensorSpec((units, 4 * units)), tf.TensorSpec((4 * units,))]

  @tf.function(input_signature=signature, autograph=False, experimental_attributes={
      "api_implements": f"lstm_tfmodels_{units}", "time_major": False, "go_backwards": False})
  def standard_lstm(inputs, init_h, init_c, kernel, recurrent_kernel, bias):
    h, c, outputs = init_h, init_c, []
    for x in tf.unstack(inputs, axis=1):  # x: (batch, width)
      z = tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel) + bias  # (batch, 4 * units)
      i, f, g, o = tf.split(z, 4, axis=1)
      c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
      h = tf.sigmoid(o) * tf.tanh(c)
      outputs.append(h)
    # The five results of tf.keras' standard_lstm: last output, all outputs, h, c, runtime.
    return h, tf.stack(outputs, axis=1), h, c, tf.constant(0.0)

  return standard_lstm
