"""A trained Keras language model as the next-token function of the shared generation loop."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from edge.text_generator import TextGenerator
from tfmodels.generation.keras_cached_language_model import KerasCachedLanguageModel
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact


class KerasNextToken:
  """Calls a language model on one window and returns the logits after its last real token.

  The call is a compiled `tf.function` over a static `(1, sequence_length)` window, so generating a token costs one
  graph run rather than a Python-level Keras call.

  Args:
    model: a language model: int32 `(batch, sequence_length)` ids -> `(batch, sequence_length, vocab_size)` logits.
  """

  def __init__(self, model: keras.Model):
    self.model = model
    self._logits = tf.function(lambda ids, length: self.model(ids, training=False)[0, length - 1],
                               input_signature=[model.input_signature(1), tf.TensorSpec((), tf.int32)])

  def __call__(self, window: np.ndarray, length: int) -> np.ndarray:
    return self._logits(np.asarray(window, np.int32)[None], np.int32(length)).numpy()

  @staticmethod
  def generator(artifact: ModelArtifact, reprefill_length: int | None = None) -> TextGenerator:
    """The generation loop over the Keras model of a trained language-model directory, on its cached path
    (`KerasCachedLanguageModel`: prefill, then one step per token), as the edge runtime and the `generate` serving
    signature run it. `TextGenerator(KerasNextToken(model), ...)` is full-window decoding.

    Raises:
      ArtifactError: the directory holds a classifier.
    """
    if not artifact.config.model.is_language_model:
      raise ArtifactError(f"'{artifact.model_dir}' holds a {artifact.model_name} classifier, not a language model. "
                          "Generate with a model trained with --model=transformer_lm or --model=lstm_lm; classify "
                          "with tools/evaluate.py or tools/predict.py.")
    return TextGenerator(KerasCachedLanguageModel(artifact.load_model()), artifact.char_vocabulary(),
                         artifact.config.data.sequence_length, reprefill_length)
