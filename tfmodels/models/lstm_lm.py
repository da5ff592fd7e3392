"""LSTM language model."""

from __future__ import annotations

import keras

from tfmodels.config import LstmLmConfig
from tfmodels.models.token_sequence_model import TokenSequenceModel


@keras.saving.register_keras_serializable(package="tfmodels")
class LstmLm(TokenSequenceModel):
  """Predicts each next token of a token-id sequence with stacked LSTMs; outputs logits per position.

  An embedding, dropout, `num_layers` LSTMs returning their whole output sequence (dropout after each), and a dense
  layer giving the logits of token `t + 1` at each position `t`. An LSTM reads left to right, so tokens after `t`
  (right padding of a short prompt) never change the logits at `t`. The output layer computes in float32, so logits
  stay float32 under mixed precision.

  Args:
    vocab_size: number of token ids, including the padding id 0.
    sequence_length: the context window: the sequence length of training and of the exported signatures.
    embedding_dim: width of the token embedding.
    lstm_units: units of each LSTM.
    num_layers: number of stacked LSTMs.
    dropout: dropout on the embedding and after each LSTM.
    **kwargs: standard `keras.Model` arguments (`name`, `dtype`, ...).
  """

  def __init__(self, vocab_size: int, sequence_length: int, embedding_dim: int = LstmLmConfig.embedding_dim,
               lstm_units: int = LstmLmConfig.lstm_units, num_layers: int = LstmLmConfig.num_layers,
               dropout: float = LstmLmConfig.dropout, **kwargs):
    super().__init__(**kwargs)
    self.vocab_size = vocab_size
    self.sequence_length = sequence_length
    self.embedding_dim = embedding_dim
    self.lstm_units = lstm_units
    self.num_layers = num_layers
    self.dropout = dropout

    self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")
    self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
    self.lstms = [keras.layers.LSTM(lstm_units, return_sequences=True, name=f"lstm_{i}") for i in range(num_layers)]
    self.lstm_dropouts = [keras.layers.Dropout(dropout, name=f"lstm_dropout_{i}") for i in range(num_layers)]
    self.logits = keras.layers.Dense(vocab_size, dtype="float32", name="logits")
    self.build_on_signature()

  @property
  def num_classes(self) -> int:
    """Logits per position: one per token id."""
    return self.vocab_size

  def call(self, inputs, training=False):
    x = self.embedding(inputs)  # (batch, seq, embedding_dim)
    x = self.embedding_dropout(x, training=training)
    for lstm, dropout in zip(self.lstms, self.lstm_dropouts):
      x = dropout(lstm(x, training=training), training=training)  # (batch, seq, lstm_units)
    return self.logits(x)  # (batch, seq, vocab_size), float32

  def get_config(self):
    config = super().get_config()
    config.update({
        "vocab_size": self.vocab_size,
        "sequence_length": self.sequence_length,
        "embedding_dim": self.embedding_dim,
        "lstm_units": self.lstm_units,
        "num_layers": self.num_layers,
        "dropout": self.dropout,
    })
    return config
