"""Small real `.tflite` classifiers with their metadata, built with TensorFlow once per test session.

The builders keep their files under the session's base temporary folder, so tests in other folders
(`tests/tools/predict_test.py`) reuse them instead of building them again.
"""

from __future__ import annotations

import dataclasses
import pathlib

from ai_edge_litert.interpreter import Interpreter
import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits
import tensorflow as tf

from edge import ImageInfo, ModelMetadata, TensorInfo, TextInfo

DIGIT_LABELS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SENTIMENT_LABELS = ("negative", "positive")
SEQUENCE_LENGTH = 8
_POSITIVE_WORDS = ("good", "great", "superb", "fun", "moving")
_NEGATIVE_WORDS = ("bad", "awful", "dull", "boring", "weak")
_FILLER_WORDS = ("the", "film", "movie", "was", "a", "plot", "and")
_HELD_OUT = 200
_MODES = ("float32", "full_int8")


@dataclasses.dataclass(frozen=True)
class ExportedModels:
  """A trained Keras classifier exported to `.tflite` in several modes.

  Attributes:
    inputs: held-out model inputs: `uint8` pixels `(N, 8, 8, 1)` or `int32` token ids `(N, SEQUENCE_LENGTH)`.
    texts: the held-out texts (text models only).
    labels: their true labels.
    keras_logits: the Keras model's logits on `inputs`.
    tflite: mode (`float32`, `full_int8`, `batch3_float32` for a fixed batch of 3) -> `.tflite` path; the metadata
      is beside it (`ModelMetadata.path_for`).
    vocabulary: the text vectorizer's vocabulary (text models only).
  """

  inputs: np.ndarray
  texts: tuple[str, ...]
  labels: np.ndarray
  keras_logits: np.ndarray
  tflite: dict[str, str]
  vocabulary: tuple[str, ...] = ()


def build_digits_models(root: pathlib.Path) -> ExportedModels:
  """A small CNN on scikit-learn digits (raw pixels 0..255 in), exported float32 and full int8, with metadata."""
  folder = root / "digits"
  if not (folder / "done").exists():
    folder.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    pixels = np.round(digits.images * 255 / 16).astype(np.uint8)[..., None]
    labels = digits.target.astype(np.int64)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(len(DIGIT_LABELS)),
    ])
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(pixels[_HELD_OUT:].astype(np.float32), labels[_HELD_OUT:], epochs=3, batch_size=64, verbose=0)
    held_out = pixels[:_HELD_OUT]
    signature = tf.TensorSpec([1, 8, 8, 1], tf.float32, name="pixels")
    calibration = pixels[_HELD_OUT:_HELD_OUT + 100].astype(np.float32)
    image = ImageInfo(height=8, width=8, channels=1, value_range=(0.0, 255.0))
    _export(model, signature, calibration, folder, "digits_cnn", "cnn", "image_classification", DIGIT_LABELS,
            image=image)
    _save_references(folder, held_out, (), labels[:_HELD_OUT], model(held_out.astype(np.float32)))
  return _load_references(folder, "digits_cnn")


def build_sentiment_models(root: pathlib.Path) -> ExportedModels:
  """A tiny bag-of-embeddings text classifier over token ids (any batch size), exported float32 and full int8."""
  folder = root / "sentiment"
  if not (folder / "done").exists():
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for i in range(400):
      words = [*rng.choice(_FILLER_WORDS, 4), rng.choice(_POSITIVE_WORDS if i % 2 else _NEGATIVE_WORDS)]
      rng.shuffle(words)
      texts.append(" ".join(words).capitalize() + "!")
      labels.append(i % 2)
    labels = np.asarray(labels, np.int64)
    vectorizer = keras.layers.TextVectorization(max_tokens=50, output_mode="int",
                                                output_sequence_length=SEQUENCE_LENGTH)
    vectorizer.adapt(texts)
    vocabulary = tuple(vectorizer.get_vocabulary())
    ids = np.asarray(vectorizer(tf.constant(texts)), np.int32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((SEQUENCE_LENGTH,), dtype="int32"),
        keras.layers.Embedding(len(vocabulary), 8),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(len(SENTIMENT_LABELS)),
    ])
    model.compile(keras.optimizers.Adam(0.05), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(ids[_HELD_OUT:], labels[_HELD_OUT:], epochs=5, batch_size=32, verbose=0)
    signature = tf.TensorSpec([None, SEQUENCE_LENGTH], tf.int32, name="token_ids")
    text = TextInfo(vocabulary=vocabulary, sequence_length=SEQUENCE_LENGTH)
    _export(model, signature, ids[_HELD_OUT:_HELD_OUT + 100], folder, "sentiment_bag", "bag_of_embeddings",
            "text_classification", SENTIMENT_LABELS, text=text)
    # A fixed batch larger than 1, which the runtime fills by padding.
    _export(model, tf.TensorSpec([3, SEQUENCE_LENGTH], tf.int32, name="token_ids"), None, folder,
            "sentiment_bag_batch3", "bag_of_embeddings", "text_classification", SENTIMENT_LABELS, modes=("float32",),
            text=text)
    _save_references(folder, ids[:_HELD_OUT], texts[:_HELD_OUT], labels[:_HELD_OUT], model(ids[:_HELD_OUT]),
                     vocabulary)
  return _load_references(folder, "sentiment_bag")


def _export(model: keras.Model, signature: tf.TensorSpec, calibration: np.ndarray | None, folder: pathlib.Path,
            name: str, architecture: str, task: str, labels: tuple[str, ...], modes: tuple[str, ...] = _MODES,
            **shaping) -> None:
  """Writes `NAME_MODE.tflite` and its metadata per mode, as the exporter does."""
  saved_model = folder / f"{name}_saved_model"
  model.export(str(saved_model), format="tf_saved_model", input_signature=[signature], verbose=False)
  for mode in modes:
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if mode == "full_int8":
      converter.optimizations = [tf.lite.Optimize.DEFAULT]
      converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
      converter.representative_dataset = lambda: ([calibration[i:i + 1]] for i in range(len(calibration)))
      # Only float tensors change type: token ids stay int32.
      if signature.dtype == tf.float32:
        converter.inference_input_type = tf.int8
      converter.inference_output_type = tf.int8
    path = folder / f"{name}_{mode}.tflite"
    path.write_bytes(converter.convert())
    interpreter = Interpreter(model_path=str(path))
    metadata = ModelMetadata(
        model_name=name, architecture=architecture, task=task, mode=mode, labels=labels,
        input=TensorInfo.from_details(interpreter.get_input_details()[0]),
        output=TensorInfo.from_details(interpreter.get_output_details()[0]),
        source={"saved_model": str(saved_model)}, **shaping)
    metadata.write(ModelMetadata.path_for(path))


def _save_references(folder: pathlib.Path, inputs: np.ndarray, texts, labels: np.ndarray, logits,
                     vocabulary: tuple[str, ...] = ()) -> None:
  np.savez(folder / "references.npz", inputs=inputs, texts=np.asarray(texts, dtype=str), labels=labels,
           keras_logits=np.asarray(logits), vocabulary=np.asarray(vocabulary, dtype=str))
  (folder / "done").touch()


def _load_references(folder: pathlib.Path, name: str) -> ExportedModels:
  references = np.load(folder / "references.npz")
  tflite = {path.stem[len(name) + 1:]: str(path) for path in folder.glob(f"{name}_*.tflite")}
  return ExportedModels(inputs=references["inputs"], texts=tuple(str(text) for text in references["texts"]),
                        labels=references["labels"], keras_logits=references["keras_logits"], tflite=tflite,
                        vocabulary=tuple(str(token) for token in references["vocabulary"]))


@pytest.fixture(scope="session")
def digits_models(tmp_path_factory) -> ExportedModels:
  return build_digits_models(tmp_path_factory.getbasetemp() / "edge_models")


@pytest.fixture(scope="session")
def sentiment_models(tmp_path_factory) -> ExportedModels:
  return build_sentiment_models(tmp_path_factory.getbasetemp() / "edge_models")
