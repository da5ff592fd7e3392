"""A linear model over a text's word unigrams and hashed word bigrams, read from its token ids."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from tfmodels.config import MAX_NGRAM_VOCAB_SIZE


@keras.saving.register_keras_serializable(package="tfmodels")
class HashedNgramLogits(keras.layers.Layer):
  """`bias + the sum of one row of `table` per n-gram of the text`: a linear classifier over n-gram counts.

  The n-grams are read from the token ids (`feature_ids`): each token id is its own unigram feature (row `id`;
  the padding id 0 reads row 0, which stays zero), and each pair of adjacent real tokens `(a, b)` is the bigram feature
  `vocab_size + (a * vocab_size + b) mod buckets`. Everything is integer arithmetic on the ids and one lookup, so the
  layer converts to TFLite builtin operators and quantizes to integer-only int8.

  The weights are not trained by gradient descent: they start at zero (the layer then adds nothing) and are set
  from a model fitted on the training split (`tfmodels/training/ngram_fit.py`); so they are not trainable.

  Token ids `(batch, seq)` int32 -> float32 logits `(batch, num_classes)`.

  Args:
    num_classes: number of output logits.
    vocab_size: number of token ids, including the padding id 0; at most `MAX_NGRAM_VOCAB_SIZE`.
    buckets: number of rows the bigrams are hashed into.
    **kwargs: standard `keras.layers.Layer` arguments.
  """

  def __init__(self, num_classes: int, vocab_size: int, buckets: int, **kwargs):
    kwargs.setdefault("dtype", "float32")
    super().__init__(**kwargs)
    if not 2 <= vocab_size <= MAX_NGRAM_VOCAB_SIZE:
      raise ValueError(f"HashedNgramLogits needs 2 <= vocab_size <= {MAX_NGRAM_VOCAB_SIZE} (int32 bigram keys), got "
                       f"{vocab_size}.")
    if buckets < 1:
      raise ValueError(f"HashedNgramLogits needs buckets >= 1, got {buckets}.")
    self.num_classes = num_classes
    self.vocab_size = vocab_size
    self.buckets = buckets

  @property
  def num_features(self) -> int:
    """Rows of `table`: the unigrams, then the bigram buckets."""
    return self.vocab_size + self.buckets

  def build(self, input_shape):
    self.table = self.add_weight(shape=(self.num_features, self.num_classes), initializer="zeros", trainable=False,
                                 name="table")
    self.bias = self.add_weight(shape=(self.num_classes,), initializer="zeros", trainable=False, name="bias")
    super().build(input_shape)

  def feature_ids(self, token_ids):
    """The feature row of each n-gram: `(batch, 2 * seq - 1)` int32, the unigrams then the bigrams; 0 = none."""
    token_ids = ops.cast(token_ids, "int32")
    first, second = token_ids[:, :-1], token_ids[:, 1:]  # (batch, seq - 1) each
    # 1 where both are real tokens, by arithmetic (a boolean would not be an integer-only tensor).
    present = ops.minimum(first, 1) * ops.minimum(second, 1)
    bigrams = present * (self.vocab_size + ops.mod(first * self.vocab_size + second, self.buckets))
    return ops.concatenate([token_ids, bigrams], axis=1)

  def call(self, token_ids):
    rows = tf.gather(self.table, self.feature_ids(token_ids))  # (batch, 2 * seq - 1, num_classes)
    return ops.sum(rows, axis=1) + self.bias  # (batch, num_classes)

  def compute_output_shape(self, input_shape):
    return (input_shape[0], self.num_classes)

  def get_config(self):
    config = super().get_config()
    config.update({"num_classes": self.num_classes, "vocab_size": self.vocab_size, "buckets": self.buckets})
    return config
