"""Tests for tfmodels/models/transformer_classifier.py."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.testing import model_test_case
from tfmodels.config import ModelConfig
from tfmodels.config import TransformerConfig
from tfmodels.models import TransformerClassifier
from tfmodels.models import build_model

TINY = {
    "num_classes": model_test_case.DIGITS_NUM_CLASSES,
    "vocab_size": model_test_case.DIGITS_VOCAB_SIZE,
    "sequence_length": model_test_case.DIGITS_SEQUENCE_LENGTH,
    "embedding_dim": 16,
    "num_layers": 2,
    "num_heads": 2,
    "ff_dim": 32,
}


def test_build_model_uses_the_config():
  settings = TransformerConfig(embedding_dim=8, num_layers=3, num_heads=4, ff_dim=12, dropout=0.0, pooling="max")
  model = build_model(ModelConfig(name="transformer", transformer=settings), num_classes=4, feature_shape=(12,),
                      vocab_size=30, sequence_length=12)
  assert isinstance(model, TransformerClassifier)
  assert len(model.encoder_blocks) == 3
  assert {k: model.get_config()[k] for k in dataclasses.asdict(settings)} == dataclasses.asdict(settings)
  assert model.input_signature() == tf.TensorSpec((None, 12), tf.int32, name="token_ids")


def test_unknown_pooling_is_rejected():
  with pytest.raises(ValueError, match="mean, max"):
    TransformerClassifier(**TINY, pooling="first")


def test_logits_shape_and_dtype():
  token_ids, _ = model_test_case.digits_token_ids()
  logits = TransformerClassifier(**TINY)(token_ids[:3])
  assert logits.shape == (3, 10)
  assert keras.backend.standardize_dtype(logits.dtype) == "float32"


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_padding_does_not_change_the_logits(pooling):
  keras.utils.set_random_seed(0)
  token_ids, _ = model_test_case.digits_token_ids()
  model = TransformerClassifier(**TINY, pooling=pooling)
  lengths = [40, 17]
  padded = token_ids[:2].copy()
  for row, length in enumerate(lengths):
    padded[row, length:] = 0
  logits = keras.ops.convert_to_numpy(model(padded))
  for row, length in enumerate(lengths):
    # The same tokens without any padding: neither attention nor pooling may see the padded positions.
    unpadded = keras.ops.convert_to_numpy(model(token_ids[row:row + 1, :length]))
    np.testing.assert_allclose(logits[row:row + 1], unpadded, atol=1e-5)
  # Real tokens do count: the full sequence gives other logits.
  assert not np.allclose(logits, keras.ops.convert_to_numpy(model(token_ids[:2])), atol=1e-4)


def test_all_padding_gives_finite_logits():
  logits = TransformerClassifier(**TINY)(np.zeros((2, model_test_case.DIGITS_SEQUENCE_LENGTH), np.int32))
  assert np.all(np.isfinite(keras.ops.convert_to_numpy(logits)))


def test_training_on_digits_reduces_loss():
  keras.utils.set_random_seed(0)
  token_ids, labels = model_test_case.digits_token_ids()
  # Max pooling learns these position-heavy sequences in few steps; mean pooling needs many more.
  model = TransformerClassifier(**{**TINY, "embedding_dim": 32, "num_layers": 1}, dropout=0.0, pooling="max")
  model_test_case.run_training_test(model, token_ids[:512], labels[:512], epochs=8, learning_rate=3e-3)


def test_mixed_precision_logits_are_float32():
  token_ids, _ = model_test_case.digits_token_ids()
  model_test_case.run_mixed_precision_test(TransformerClassifier, TINY, token_ids[:4])


def test_saving(tmp_path):
  token_ids, _ = model_test_case.digits_token_ids()
  model_test_case.run_model_saving_test(TransformerClassifier, {**TINY, "dropout": 0.1}, token_ids[:4], tmp_path)
