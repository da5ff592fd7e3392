"""LSTM text classifier."""

from __future__ import annotations

import keras
from keras import ops

from tfmodels.config import LstmConfig
from tfmodels.models.text_classifier import TextClassifier


@keras.saving.register_keras_serializable(package="tfmodels")
class LstmClassifier(TextClassifier):
  """Classifies token-id sequences with an embedding, an LSTM and a dense head; outputs logits.

  Token id 0 is padding: the embedding masks it (`mask_zero=True`) and the LSTM skips masked steps, so padding does
  not change the result. Dropout follows the embedding and precedes the output layer. The output layer computes in
  float32, so logits stay float32 under a mixed precision policy.

  The model is built on construction (it is called once on a symbolic `keras.Input` of `input_signature()`),
  so `summary()` and `count_params()` work at once.

  Args:
    num_classes: number of output logits.
    vocab_size: number of token ids, including the padding id 0.
    sequence_length: number of token ids per example.
    embedding_dim: width of the token embedding.
    lstm_units: units of the LSTM (per direction).
    bidirectional: wrap the LSTM in `Bidirectional`.
    dropout: dropout rate after the embedding and before the output layer.
    unroll: unroll the LSTM over the `sequence_length` steps instead of looping. The unrolled graph is larger and
      slower to build, but converts to TFLite with full-integer quantization, where the TensorFlow 2.21 converter
      crashes on the loop. It changes no weights: an unrolled copy can take a looped model's weights.
    ngram_buckets: with > 0, a linear model over the text's word unigrams and this many hashed bigram rows adds
      its logits (`TextClassifier`); 0 = none.
    **kwargs: standard `keras.Model` arguments (`name`, `dtype`, ...).
  """

  def __init__(self, num_classes: int, vocab_size: int, sequence_length: int,
               embedding_dim: int = LstmConfig.embedding_dim, lstm_units: int = LstmConfig.lstm_units,
               bidirectional: bool = LstmConfig.bidirectional, dropout: float = LstmConfig.dropout,
               unroll: bool = False, ngram_buckets: int = LstmConfig.ngram_buckets, **kwargs):
    super().__init__(**kwargs)
    self.num_classes = num_classes
    self.vocab_size = vocab_size
    self.sequence_length = sequence_length
    self.ngram_buckets = ngram_buckets
    self.embedding_dim = embedding_dim
    self.lstm_units = lstm_units
    self.bidirectional = bidirectional
    self.dropout = dropout
    self.unroll = unroll

    self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding")
    self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
    lstm = keras.layers.LSTM(lstm_units, unroll=unroll, name="lstm")
    self.lstm = keras.layers.Bidirectional(lstm, name="bidirectional") if bidirectional else lstm
    self.head_dropout = keras.layers.Dropout(dropout, name="head_dropout")
    self.add_head(num_classes, vocab_size, ngram_buckets)
    self.build_on_signature()

  def encoder_layers(self) -> list[keras.layers.Layer]:
    """The layers a pretrained `LstmEncoderLm` hands its weights to, in its `encoder_layers()`'s order."""
    return [self.embedding, self.lstm]

  def call(self, inputs, training=False):
    mask = ops.not_equal(inputs, 0)  # (batch, seq), True at real tokens
    x = self.embedding(inputs)  # (batch, seq, embedding_dim)
    x = self.embedding_dropout(x, training=training)
    x = self.lstm(x, mask=mask, training=training)  # (batch, lstm_units * (2 if bidirectional else 1))
    x = self.head_dropout(x, training=training)
    return self.head(x, inputs)  # (batch, num_classes), float32

  def get_config(self):
    config = super().get_config()
    config.update({
        "num_classes": self.num_classes,
        "vocab_size": self.vocab_size,
        "sequence_length": self.sequence_length,
        "ngram_buckets": self.ngram_buckets,
        "embedding_dim": self.embedding_dim,
        "lstm_units": self.lstm_units,
        "bidirectional": self.bidirectional,
        "dropout": self.dropout,
        "unroll": self.unroll,
    })
    return config
