"""Tests for tfmodels/models/cnn_classifier.py."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.testing import model_test_case
from tfmodels.config import CnnConfig
from tfmodels.config import ModelConfig
from tfmodels.models import CnnClassifier
from tfmodels.models import build_model

TINY = {"num_classes": 10, "image_shape": (8, 8, 1), "conv_filters": (4, 8), "dense_units": 16}


def test_build_model_uses_the_config():
  settings = CnnConfig(conv_filters=(4,), kernel_size=5, dense_units=0, batch_norm=True, dropout=0.25)
  model = build_model(ModelConfig(name="cnn", cnn=settings), num_classes=3, feature_shape=(12, 10, 3))
  assert isinstance(model, CnnClassifier)
  assert model.count_params() > 0
  assert {k: model.get_config()[k] for k in dataclasses.asdict(settings)} == dataclasses.asdict(settings)
  assert model.input_signature() == tf.TensorSpec((None, 12, 10, 3), tf.uint8, name="pixels")
  assert model.input_signature(batch_size=1).shape == (1, 12, 10, 3)


def test_build_model_rejects_unknown_names():
  with pytest.raises(ValueError, match="cnn, lstm, transformer"):
    build_model(ModelConfig(name="resnet"), num_classes=3, feature_shape=(8, 8, 1))


@pytest.mark.parametrize("image_shape", [(8, 8, 1), (7, 5, 3), (28, 28, 1)])
def test_logits_shape_and_dtype(image_shape):
  model = CnnClassifier(**{**TINY, "image_shape": image_shape})
  logits = model(np.zeros((2, *image_shape), np.uint8))
  assert logits.shape == (2, 10)
  assert keras.backend.standardize_dtype(logits.dtype) == "float32"


def test_pixels_are_rescaled_inside_the_model():
  model = CnnClassifier(**TINY)
  # The first layer sees the pixels scaled to [0, 1].
  rescaled = keras.ops.convert_to_numpy(model.rescaling(np.full((1, 8, 8, 1), 255, np.uint8)))
  np.testing.assert_allclose(rescaled, 1.0, atol=1e-6)


def test_batch_norm_replaces_conv_bias():
  model = CnnClassifier(**TINY, batch_norm=True)
  assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.conv_layers)
  assert model.get_layer("conv_0").bias is None


def test_training_on_digits_reduces_loss():
  keras.utils.set_random_seed(0)
  pixels, labels = model_test_case.digits_pixels()
  # Without BatchNormalization: its moving averages lag far behind after a few steps, which would make the
  # inference-mode loss measure the averages rather than the learning.
  model = CnnClassifier(**TINY, dropout=0.1)
  model_test_case.run_training_test(model, pixels[:512], labels[:512], epochs=5, max_loss_ratio=0.5)


def test_mixed_precision_logits_are_float32():
  pixels, _ = model_test_case.digits_pixels()
  model_test_case.run_mixed_precision_test(CnnClassifier, {**TINY, "batch_norm": True}, pixels[:4])


def test_saving(tmp_path):
  pixels, _ = model_test_case.digits_pixels()
  model_test_case.run_model_saving_test(CnnClassifier, {**TINY, "batch_norm": True, "dropout": 0.2}, pixels[:4],
                                        tmp_path)
