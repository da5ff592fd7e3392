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

`unrolled_lstm_logits` reads the same way through an LSTM unrolled into builtin ops (`--lstm_graph=unrolled`): no
mask either (Keras' own unrolled LSTM keeps each state where the mask is off, which put 189 `SELECT_V2` outside
XNNPACK and cut a graph of 64 steps into 34 partitions), and the input projection of every step in one matrix
product, so each step adds one small matrix product and the gates. XNNPACK runs every step in every mode: on the
rotten_tomatoes preset (64 steps, one thread) it was the fastest LSTM graph measured in every mode (BENCHMARKS.md,
"LSTM in TFLite"), at the price of one set of operators per step in the file.

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
  return _lstm_logits(model, token_ids, _fused_sequence)


def unrolled_lstm_logits(model: LstmClassifier, token_ids: tf.Tensor) -> tf.Tensor:
  """The logits of `model` on int32 `token_ids` `(batch, sequence_length)` (any batch), through LSTMs unrolled into
  builtin ops without a mask."""
  return _lstm_logits(model, token_ids, _unrolled_sequence)


def _lstm_logits(model: LstmClassifier, token_ids: tf.Tensor, sequence) -> tf.Tensor:
  """The classifier's logits with each LSTM direction computed by `sequence(layer, inputs)`."""
  lengths = tf.reduce_sum(tf.cast(tf.not_equal(token_ids, 0), tf.int32), axis=1)  # (batch,)
  if model.bidirectional:
    features = tf.concat([_last_output(model, model.lstm.forward_layer, token_ids, lengths, sequence),
                          _last_output(model, model.lstm.backward_layer, token_ids, lengths, sequence)], axis=-1)
  else:
    features = _last_output(model, model.lstm, token_ids, lengths, sequence)  # (batch, lstm_units)
  return model.head(features, token_ids)  # (batch, num_classes)


def fused_lstm_lm_logits(model: LstmLm, token_ids: tf.Tensor) -> tf.Tensor:
  """The logits of `model` at every position of int32 `token_ids` `(batch, sequence_length)` (static shape), through
  fused LSTMs: `(batch, sequence_length, vocab_size)`, as `model(token_ids)` (dropout is off at inference)."""
  x = model.embedding(token_ids)  # (batch, seq, embedding_dim)
  for lstm in model.lstms:
    x = _fused_sequence(lstm, x)  # (batch, seq, lstm_units)
  return model.logits(x)  # (batch, seq, vocab_size)


def _last_output(model: LstmClassifier, layer, token_ids: tf.Tensor, lengths: tf.Tensor, sequence) -> tf.Tensor:
  """The output of one LSTM direction after the last real token: `(batch, units)`."""
  if layer.go_backwards:
    token_ids = tf.reverse_sequence(token_ids, lengths, seq_axis=1, batch_axis=0)
  outputs = sequence(layer, model.embedding(token_ids))  # (batch, seq, units)
  last = tf.gather(outputs, tf.maximum(lengths - 1, 0), axis=1, batch_dims=1)  # (batch, units)
  # An all-padding row reads zeros, as the masked Keras LSTM returns (looked up, so `full_int8` stays integer-only).
  return last * presence_factor(lengths, last.dtype)[:, None]


def _checked_cell(layer):
  """The layer's cell, when it is the LSTM these graphs compute (tanh/sigmoid gates with a bias)."""
  cell = layer.cell
  if cell.activation.__name__ != "tanh" or cell.recurrent_activation.__name__ != "sigmoid" or not cell.use_bias:
    raise ValueError("The TFLite LSTM graphs compute tanh/sigmoid gates with a bias; this LSTM differs.")
  return cell


def _unrolled_sequence(layer, inputs: tf.Tensor) -> tf.Tensor:
  """The outputs of a (forward) Keras LSTM at every step of `inputs` `(batch, seq, width)`, unrolled: `(batch, seq,
  units)`. Every step's input projection comes from one matrix product; a step adds its recurrent product and the
  gates (Keras' order i, f, c, o), from zero states."""
  cell = _checked_cell(layer)
  steps, width, units = inputs.shape[1], inputs.shape[2], cell.units
  projected = tf.reshape(tf.matmul(tf.reshape(inputs, (-1, width)), cell.kernel.value) + cell.bias.value,
                         (-1, steps, 4 * units))  # (batch, seq, 4 * units)
  h = c = None
  outputs = []
  for step in range(steps):
    # A slice that keeps its axis, then a reshape: XNNPACK takes both (not a slice that drops the axis).
    x = tf.reshape(projected[:, step:step + 1], (-1, 4 * units))  # (batch, 4 * units)
    z = x if h is None else x + tf.matmul(h, cell.recurrent_kernel.value)
    i, f, g, o = tf.split(z, 4, axis=-1)
    c = tf.sigmoid(i) * tf.tanh(g) if c is None else tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    h = tf.sigmoid(o) * tf.tanh(c)
    outputs.append(h)
  return tf.stack(outputs, axis=1)


def _fused_sequence(layer, inputs: tf.Tensor) -> tf.Tensor:
  """The outputs of a (forward) Keras LSTM at every step of `inputs` `(batch, seq, width)`: `(batch, seq, units)`."""
  cell = _checked_cell(layer)
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
