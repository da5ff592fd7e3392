"""Classifiers, language models, and the factory that builds one from a `ModelConfig`."""

from __future__ import annotations

import dataclasses

import keras

from tfmodels.config import ModelConfig
from tfmodels.models.cnn_classifier import CnnClassifier
from tfmodels.models.lstm_classifier import LstmClassifier
from tfmodels.models.lstm_encoder_lm import LstmEncoderLm
from tfmodels.models.lstm_lm import LstmLm
from tfmodels.models.transformer_classifier import TransformerClassifier
from tfmodels.models.transformer_encoder_mlm import TransformerEncoderMlm
from tfmodels.models.transformer_lm import TransformerLm

__all__ = ["CnnClassifier", "LstmClassifier", "LstmEncoderLm", "LstmLm", "TransformerClassifier",
           "TransformerEncoderMlm", "TransformerLm", "build_model"]

_MODELS = {"cnn": CnnClassifier, "lstm": LstmClassifier, "transformer": TransformerClassifier,
           "transformer_lm": TransformerLm, "lstm_lm": LstmLm}
# The word predictors that pretrain a text classifier's encoder (`pretrain.stage`).
_PRETRAINING_MODELS = {"lstm": LstmEncoderLm, "transformer": TransformerEncoderMlm}


def build_model(model_config: ModelConfig, *, num_classes: int, feature_shape: tuple, vocab_size: int = 0,
                sequence_length: int = 0, num_targets: int = 0) -> keras.Model:
  """Builds the architecture named by `model_config.name` with its settings.

  Args:
    model_config: the architecture name and its settings.
    num_classes: number of output logits (ignored by language models: they output one logit per token id).
    feature_shape: shape of one example: `(height, width, channels)` for images, `(sequence_length,)` for text.
    vocab_size: number of token ids including the padding id 0 (text models only).
    sequence_length: token ids per example (text models only); 0 = `feature_shape[0]`.
    num_targets: given (> 0), the model that pretrains the text classifier's encoder instead (`LstmEncoderLm`,
      `TransformerEncoderMlm`), predicting this many words per text.

  Returns:
    A built model that maps a batch of `model.input_signature()` to float32 logits: `(batch, num_classes)` for a
    classifier, `(batch, sequence_length, vocab_size)` for a language model.

  Raises:
    ValueError: the name is not a known architecture, or a text model lacks its vocabulary size.
  """
  model_class = _MODELS.get(model_config.name)
  if model_class is None:
    raise ValueError(f"Unknown model '{model_config.name}'; expected one of {', '.join(_MODELS)}.")
  settings = dataclasses.asdict(model_config.architecture)
  if model_class is CnnClassifier:
    return CnnClassifier(num_classes=num_classes, image_shape=tuple(feature_shape), **settings)
  if vocab_size < 2:
    raise ValueError(f"Model '{model_config.name}' needs vocab_size >= 2 (padding id 0 plus tokens), got {vocab_size}.")
  sequence_length = sequence_length or feature_shape[0]
  if num_targets:
    for name in ("pooling", "ngram_buckets"):  # the classifier's read-out, not the encoder's
      settings.pop(name, None)
    return _PRETRAINING_MODELS[model_config.name](vocab_size=vocab_size, sequence_length=sequence_length,
                                                  num_targets=num_targets, **settings)
  if model_config.is_language_model:
    return model_class(vocab_size=vocab_size, sequence_length=sequence_length, **settings)
  return model_class(num_classes=num_classes, vocab_size=vocab_size, sequence_length=sequence_length, **settings)
