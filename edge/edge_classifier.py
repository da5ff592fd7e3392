"""Runs an exported `.tflite` classifier with LiteRT, described by its metadata: no TensorFlow needed."""

from __future__ import annotations

from collections.abc import Iterable
import logging
import os

import numpy as np

from edge.edge_error import EdgeError
from edge.image_loader import ImageInput, ImageLoader
from edge.text_tokenizer import OOV_ID, PADDING_ID, TextTokenizer
from edge.tflite_model import TfliteModel
from edge.tflite_runner import TfliteRunner

# Largest batch given to a model that accepts any batch size: bounds the memory of one call.
_MAX_BATCH = 256
_LOGGER = logging.getLogger(__name__)

Prediction = list[tuple[str, float]]


class EdgeClassifier:
  """Classifies images or texts with an exported `.tflite` model and the metadata written beside it.

  Inputs are prepared as in training (images decoded, converted and resized; texts tokenized like Keras
  `TextVectorization`), quantized when the model's input is, and the dequantized logits go through a softmax.

  Args:
    model_path: the `.tflite` file.
    metadata_path: its metadata; default: `NAME_MODE.json` beside `NAME_MODE.tflite`.
    num_threads: CPU threads for the interpreter; default: LiteRT's choice.
  """

  def __init__(self, model_path: str | os.PathLike, metadata_path: str | os.PathLike | None = None,
               num_threads: int | None = None):
    model = TfliteModel(model_path, metadata_path, num_threads)
    self.metadata = model.metadata
    if self.metadata.task == "language_model":
      raise EdgeError(f"{model_path} is a language model: generate text with it (tools/generate.py --tflite=..., "
                      "edge.EdgeLanguageModel), it classifies nothing.")
    # The loop the export's gate runs too (reset the variables, quantize, invoke, dequantize).
    self._runner = TfliteRunner(model.interpreter, model.input_details, model.output_details)
    self.image_loader: ImageLoader | None = None
    self.tokenizer: TextTokenizer | None = None
    if self.metadata.image is not None:
      image = self.metadata.image
      self.image_loader = ImageLoader(image.height, image.width, image.channels)
    else:
      text = self.metadata.text
      self.tokenizer = TextTokenizer(text.vocabulary, text.sequence_length, text.standardize, text.split)

  @property
  def labels(self) -> tuple[str, ...]:
    """Class names, in output order."""
    return self.metadata.labels

  @property
  def task(self) -> str:
    """`image_classification` or `text_classification`."""
    return self.metadata.task

  def predict_logits(self, inputs: np.ndarray) -> np.ndarray:
    """Runs the model on a batch; returns `float32` logits `(N, len(labels))`, dequantized.

    Args:
      inputs: images as `(N, height, width, channels)` values in `metadata.image.value_range` (before quantization),
        or texts as `(N, sequence_length)` token ids.
    """
    inputs = np.asarray(inputs)
    expected = self.metadata.input.shape[1:]
    if inputs.ndim != len(expected) + 1 or inputs.shape[1:] != expected:
      raise EdgeError(f"Expected model inputs of shape (batch, {', '.join(map(str, expected))}), got "
                      f"{inputs.shape}.")
    if self.tokenizer is not None:
      # An id past the embedding table is not caught by every TFLite kernel: check it here.
      vocabulary_size = len(self.tokenizer.vocabulary)
      if not np.issubdtype(inputs.dtype, np.integer) or (inputs.size and not 0 <= inputs.min() <= inputs.max()
                                                         < vocabulary_size):
        raise EdgeError(f"Token ids must be integers in [0, {vocabulary_size}) (the vocabulary size); got "
                        f"{inputs.dtype} values outside it.")
    # A file of any batch size runs up to _MAX_BATCH inputs at a time; one of a fixed batch size runs its own (the
    # last batch padded, the padding's outputs dropped).
    if not len(inputs):
      return np.zeros((0, len(self.labels)), np.float32)
    return self._runner.logits(inputs, batch_size=min(len(inputs), _MAX_BATCH), timed=False)

  def classify_images(self, images: ImageInput | Iterable[ImageInput], top_k: int = 3) -> list[Prediction]:
    """Returns, per image, the `top_k` `(label, probability)` pairs, most probable first.

    Args:
      images: image file paths (converted and resized to the model's input) and/or `uint8` arrays of exactly the
        model's `(height, width, channels)`; a single path or array counts as one image.
      top_k: how many labels to return per image (at most all of them).
    """
    if self.image_loader is None:
      raise EdgeError("This model classifies texts (task text_classification): give texts, not images.")
    _check_top_k(top_k)
    pixels = self.image_loader.load_batch(images)
    low, high = self.metadata.image.value_range
    # Pixels 0..255 map linearly onto the value range the model was trained on.
    values = low + pixels.astype(np.float32) * np.float32((high - low) / 255.0)
    return self._top_k(self.predict_logits(values), top_k)

  def classify_texts(self, texts: str | Iterable[str], top_k: int = 3) -> list[Prediction]:
    """Returns, per text, the `top_k` `(label, probability)` pairs, most probable first.

    Args:
      texts: texts to classify; a single str counts as one text.
      top_k: how many labels to return per text (at most all of them).
    """
    if self.tokenizer is None:
      raise EdgeError("This model classifies images (task image_classification): give image files, not texts.")
    _check_top_k(top_k)
    texts = [texts] if isinstance(texts, (str, bytes)) else list(texts)
    ids = self.tokenizer.encode_batch(texts)
    for text, row in zip(texts, ids):
      if not row.any():
        # All padding: the model would see no token at all, which it never saw in training.
        raise EdgeError(f"Empty text {text!r}: give at least one word (punctuation alone is stripped).")
      if (row[row != PADDING_ID] == OOV_ID).all():
        _LOGGER.warning("No word of %r is in the model's vocabulary: its prediction is a guess.",
                                            text)
    return self._top_k(self.predict_logits(ids), top_k)

  def _top_k(self, logits: np.ndarray, top_k: int) -> list[Prediction]:
    probabilities = _softmax(logits.astype(np.float64))
    # A stable sort keeps label order between equal probabilities.
    order = np.argsort(-probabilities, axis=-1, kind="stable")[:, :top_k]
    return [[(self.labels[i], float(row[i])) for i in indices] for row, indices in zip(probabilities, order)]


def _check_top_k(top_k: int) -> None:
  if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
    raise EdgeError(f"top_k must be an integer >= 1, got {top_k!r}.")


def _softmax(logits: np.ndarray) -> np.ndarray:
  # Subtracting the row maximum keeps exp() from overflowing; the result is unchanged.
  exponentials = np.exp(logits - logits.max(axis=-1, keepdims=True))
  return exponentials / exponentials.sum(axis=-1, keepdims=True)
