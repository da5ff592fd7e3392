"""Base of the text classifiers: a learned read-out of the tokens, optionally beside a linear n-gram model."""

from __future__ import annotations

import keras

from tfmodels.layers.hashed_ngram_logits import HashedNgramLogits
from tfmodels.models.token_sequence_model import TokenSequenceModel


class TextClassifier(TokenSequenceModel):
  """A token-sequence classifier whose logits are its output layer's plus, with `ngram_buckets > 0`, those of a
  linear model over the text's word unigrams and hashed bigrams (`HashedNgramLogits`, "wide and deep").

  The n-gram model adds nothing until its weights are set (`tfmodels/training/ngram_fit.py` fits it on the training
  split after the network is trained); it is part of the model, so every export carries it.

  Subclasses call `add_head` in `__init__` and return `head(features, token_ids)` from `call`.
  """

  def add_head(self, num_classes: int, vocab_size: int, ngram_buckets: int) -> None:
    """Creates the output layer and, with `ngram_buckets > 0`, the n-gram model."""
    # The output layer computes in float32, so logits stay float32 under a mixed precision policy.
    self.logits = keras.layers.Dense(num_classes, dtype="float32", name="logits")
    self.ngram_logits = (HashedNgramLogits(num_classes, vocab_size, ngram_buckets, name="ngram_logits")
                         if ngram_buckets else None)

  def head(self, features, token_ids):
    """Logits `(batch, num_classes)`, float32, from the read-out `features` and the input `token_ids`."""
    logits = self.logits(features)
    return logits if self.ngram_logits is None else logits + self.ngram_logits(token_ids)
