"""Checks shared by the layer and model tests (after keras-hub's `TestCase`), and the real data they train on."""

from __future__ import annotations

import contextlib
import functools
import pathlib

import keras
import numpy as np
from sklearn.datasets import load_digits

# Token ids made from digits pixels: intensities 0..16 shifted to 1..17, so that 0 stays free for padding.
DIGITS_VOCAB_SIZE = 18
DIGITS_SEQUENCE_LENGTH = 64
DIGITS_NUM_CLASSES = 10


@functools.cache
def digits_pixels() -> tuple[np.ndarray, np.ndarray]:
  """The scikit-learn digits as raw uint8 images `(1797, 8, 8, 1)` in 0..255, and their labels."""
  digits = load_digits()
  pixels = np.round(digits.data * 255 / 16).astype(np.uint8).reshape(-1, 8, 8, 1)
  return _read_only(pixels), _read_only(digits.target.astype(np.int32))


@functools.cache
def digits_token_ids() -> tuple[np.ndarray, np.ndarray]:
  """The scikit-learn digits as token-id sequences `(1797, 64)`: each pixel's intensity + 1, and their labels."""
  digits = load_digits()
  return _read_only(digits.data.astype(np.int32) + 1), _read_only(digits.target.astype(np.int32))


def _read_only(array: np.ndarray) -> np.ndarray:
  # The arrays are cached and shared by all tests: a test must copy before it edits.
  array.flags.writeable = False
  return array


def run_model_saving_test(cls: type[keras.Model], init_kwargs: dict, input_data: np.ndarray,
                          tmp_path: pathlib.Path, atol: float = 1e-6) -> None:
  """Checks that a model survives `from_config(get_config())` and a `.keras` save/load with identical outputs."""
  model = cls(**init_kwargs)
  expected = keras.ops.convert_to_numpy(model(input_data))

  revived = cls.from_config(model.get_config())
  assert revived.get_config() == model.get_config()
  revived.set_weights(model.get_weights())
  np.testing.assert_allclose(keras.ops.convert_to_numpy(revived(input_data)), expected, atol=atol)

  path = tmp_path / "model.keras"
  model.save(path)
  restored = keras.saving.load_model(path)
  assert isinstance(restored, cls)
  assert restored.get_config() == model.get_config()
  np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(input_data)), expected, atol=atol)


def run_layer_saving_test(cls: type[keras.layers.Layer], init_kwargs: dict, input_data: np.ndarray,
                          tmp_path: pathlib.Path, atol: float = 1e-6) -> None:
  """Checks that a layer survives `from_config(get_config())` and, inside a model, a `.keras` save/load."""
  layer = cls(**init_kwargs)
  expected = keras.ops.convert_to_numpy(layer(input_data))

  revived = cls.from_config(layer.get_config())
  assert revived.get_config() == layer.get_config()
  revived(input_data)  # builds the weights, then they are overwritten
  revived.set_weights(layer.get_weights())
  np.testing.assert_allclose(keras.ops.convert_to_numpy(revived(input_data)), expected, atol=atol)

  inputs = keras.Input(batch_shape=input_data.shape, dtype=str(input_data.dtype))
  model = keras.Model(inputs, layer(inputs))
  path = tmp_path / "layer.keras"
  model.save(path)
  restored = keras.saving.load_model(path)
  assert isinstance(restored.layers[-1], cls)
  np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(input_data)), expected, atol=atol)


def run_training_test(model: keras.Model, x: np.ndarray, y: np.ndarray, epochs: int, learning_rate: float = 1e-2,
                      batch_size: int = 64, max_loss_ratio: float = 0.7) -> None:
  """Trains a logits model briefly and checks that its loss on the training examples fell by a clear margin."""
  model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
  loss_before = model.evaluate(x, y, batch_size=256, verbose=0)
  model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
  loss_after = model.evaluate(x, y, batch_size=256, verbose=0)
  assert np.isfinite(loss_after)
  assert loss_after < max_loss_ratio * loss_before, (loss_before, loss_after)


@contextlib.contextmanager
def dtype_policy(name: str):
  """Sets the global Keras dtype policy for the duration of a `with` block, then restores the previous one."""
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy(name)
  try:
    yield
  finally:
    keras.config.set_dtype_policy(previous)


def run_mixed_precision_test(cls: type[keras.Model], init_kwargs: dict, input_data: np.ndarray) -> None:
  """Checks that under `mixed_float16` a model computes in float16 but returns finite float32 logits."""
  with dtype_policy("mixed_float16"):
    model = cls(**init_kwargs)
  assert model.dtype_policy.compute_dtype == "float16"
  assert all(v.dtype == "float32" for v in model.weights)
  logits = model(input_data)
  assert keras.backend.standardize_dtype(logits.dtype) == "float32"
  assert np.all(np.isfinite(keras.ops.convert_to_numpy(logits)))
