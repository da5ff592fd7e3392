"""The LSTM classifier's embedding and LSTM, trained as word language models (pretraining)."""

from __future__ import annotations

import keras
from keras import ops

from tfmodels.config import LstmConfig
from tfmodels.layers.tied_output import TiedOutput


@keras.saving.register_keras_serializable(package="tfmodels")
class LstmEncoderLm(keras.Model):
  """Predicts words of a text from the LSTM classifier's encoder: its forward direction the next word, its backward
  direction the previous one (ULMFiT/ELMo-style language models, one per direction).

  The layers `embedding` and `lstm` have the classifier's names and weight shapes (the LSTM returns every step
  here, which changes no weight), so `LstmClassifier` starts from them (`tfmodels/training/pretraining.py`). The
  output is tied to the embedding (`TiedOutput`) after a projection to its width.

  Inputs: `(token_ids, positions)`: int32 `(batch, sequence_length)` ids (0 = padding) and int32
  `(batch, num_targets)` positions whose words are predicted: `p < sequence_length` reads the forward state at
  `p` (which has seen tokens `0..p`, and predicts token `p + 1`), `p >= sequence_length` reads the backward state at
  `p - sequence_length` (which has seen the tokens from there to the end, and predicts the token before it).
  Output: float32 logits `(batch, num_targets, vocab_size)`. Only the drawn positions go through the output layer,
  which is most of the work with a vocabulary of thousands of words.

  Args:
    vocab_size, sequence_length, embedding_dim, lstm_units, bidirectional, dropout: as `LstmClassifier`'s.
    num_targets: positions predicted per text.
    **kwargs: standard `keras.Model` arguments.
  """

  def __init__(self, vocab_size: int, sequence_length: int, num_targets: int,
               embedding_dim: int = LstmConfig.embedding_dim, lstm_units: int = LstmConfig.lstm_units,
               bidirectional: bool = LstmConfig.bidirectional, dropout: float = LstmConfig.dropout, **kwargs):
    super().__init__(**kwargs)
    self.vocab_size = vocab_size
    self.sequence_length = sequence_length
    self.num_targets = num_targets
    self.embedding_dim = embedding_dim
    self.lstm_units = lstm_units
    self.bidirectional = bidirectional
    self.dropout = dropout

    self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding")
    self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
    lstm = keras.layers.LSTM(lstm_units, return_sequences=True, name="lstm")
    self.lstm = (keras.layers.Bidirectional(lstm, merge_mode=None, name="bidirectional") if bidirectional else lstm)
    self.state_dropout = keras.layers.Dropout(dropout, name="state_dropout")
    self.projection = keras.layers.Dense(embedding_dim, name="projection")
    self.output_layer = TiedOutput(self.embedding, name="tied_output")
    token_ids = keras.Input(batch_shape=(None, sequence_length), dtype="int32")
    positions = keras.Input(batch_shape=(None, num_targets), dtype="int32")
    self((token_ids, positions))

  def encoder_layers(self) -> list[keras.layers.Layer]:
    """The layers the classifier shares, in `LstmClassifier.encoder_layers()`'s order."""
    return [self.embedding, self.lstm]

  def call(self, inputs, training=False):
    token_ids, positions = inputs
    mask = ops.not_equal(token_ids, 0)  # (batch, seq)
    x = self.embedding_dropout(self.embedding(token_ids), training=training)  # (batch, seq, embedding_dim)
    states = self.lstm(x, mask=mask, training=training)
    if self.bidirectional:
      states = ops.concatenate(states, axis=1)  # forward, then backward: (batch, 2 * seq, lstm_units)
    picked = ops.take_along_axis(states, positions[:, :, None], axis=1)  # (batch, num_targets, lstm_units)
    picked = self.state_dropout(picked, training=training)
    return self.output_layer(self.projection(picked))  # (batch, num_targets, vocab_size)

  def get_config(self):
    config = super().get_config()
    config.update({"vocab_size": self.vocab_size, "sequence_length": self.sequence_length,
                   "num_targets": self.num_targets, "embedding_dim": self.embedding_dim,
                   "lstm_units": self.lstm_units, "bidirectional": self.bidirectional, "dropout": self.dropout})
    return config
