"""Keras `TextVectorization` over a vocabulary of the training split only, saved as a vocabulary file beside the model.

Defaults are Keras' (`lower_and_strip_punctuation`, whitespace split), so the edge runtime's pure-Python tokenizer
can reproduce them exactly. Token id 0 is padding and 1 is the out-of-vocabulary token.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from tfmodels.atomic_files import write_text

VOCABULARY_FILE = "vocabulary.txt"


def vectorizer_for(words: Sequence[str], sequence_length: int) -> keras.layers.TextVectorization:
  """Returns a vectorizer over `words` (ids 2, 3, ...; 0 is padding, 1 the OOV token) that pads or cuts every text
  to `sequence_length` ids."""
  return keras.layers.TextVectorization(vocabulary=list(words), output_mode="int",
                                        output_sequence_length=sequence_length)


def load_vectorizer(path: str, sequence_length: int) -> keras.layers.TextVectorization:
  """Returns a vectorizer over the vocabulary file at `path` (one token a line, as `save_vocabulary` writes)."""
  # The file holds padding ("") and OOV ("[UNK]") first; Keras adds them itself.
  return vectorizer_for(read_vocabulary(path)[2:], sequence_length)


def token_ids(vectorizer: keras.layers.TextVectorization, texts) -> tf.Tensor:
  """Token ids of `texts` as the models take them: int32 `(batch, sequence_length)` (Keras returns int64)."""
  return tf.cast(vectorizer(texts), tf.int32)


def read_vocabulary(path: str) -> list[str]:
  with open(path, encoding="utf-8") as f:
    return [line[:-1] if line.endswith("\n") else line for line in f]


def save_vocabulary(vectorizer: keras.layers.TextVectorization, path: str) -> None:
  """Writes the vocabulary, index = token id, atomically."""
  vocabulary = vectorizer.get_vocabulary()
  for token in vocabulary:
    if "\n" in token:
      raise ValueError(f"Vocabulary token {token!r} holds a newline; it cannot be stored one token a line.")
  write_text(path, "".join(token + "\n" for token in vocabulary))
