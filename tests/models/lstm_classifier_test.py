"""Tests for tfmodels/models/lstm_classifier.py."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.testing import model_test_case
from tfmodels.config import LstmConfig
from tfmodels.config import ModelConfig
from tfmodels.models import LstmClassifier
from tfmodels.models import build_model

TINY = {
    "num_classes": model_test_case.DIGITS_NUM_CLASSES,
    "vocab_size": model_test_case.DIGITS_VOCAB_SIZE,
    "sequence_length": model_test_case.DIGITS_SEQUENCE_LENGTH,
    "embedding_dim": 8,
    "lstm_units": 8,
}


def test_build_model_uses_the_config():
  settings = LstmConfig(embedding_dim=6, lstm_units=5, bidirectional=False, dropout=0.1)
  model = build_model(ModelConfig(name="lstm", lstm=settings), num_classes=4, feature_shape=(12,), vocab_size=30)
  assert isinstance(model, LstmClassifier)
  assert model.count_params() > 0
  assert {k: model.get_config()[k] for k in dataclasses.asdict(settings)} == dataclasses.asdict(settings)
  assert model.input_signature() == tf.TensorSpec((None, 12), tf.int32, name="token_ids")


def test_build_model_needs_a_vocabulary():
  with pytest.raises(ValueError, match="vocab_size"):
    build_model(ModelConfig(name="lstm"), num_classes=4, feature_shape=(12,))


@pytest.mark.parametrize("bidirectional", [True, False])
def test_logits_shape_and_dtype(bidirectional):
  token_ids, _ = model_test_case.digits_token_ids()
  logits = LstmClassifier(**TINY, bidirectional=bidirectional)(token_ids[:3])
  assert logits.shape == (3, 10)
  assert keras.backend.standardize_dtype(logits.dtype) == "float32"


@pytest.mark.parametrize("unroll", [False, True])
def test_padding_does_not_change_the_logits(unroll):
  keras.utils.set_random_seed(0)
  # The middle 3 image rows: 24 real tokens (no pixel is padding), short enough to unroll quickly.
  token_ids = model_test_case.digits_token_ids()[0][:2, 16:40]
  model = LstmClassifier(**{**TINY, "sequence_length": 24}, unroll=unroll)
  lengths = [17, 9]
  padded = token_ids.copy()
  for row, length in enumerate(lengths):
    padded[row, length:] = 0
  logits = keras.ops.convert_to_numpy(model(padded))
  for row, length in enumerate(lengths):
    # The same tokens without any padding: both LSTM directions must end in the same state.
    unpadded = keras.ops.convert_to_numpy(model(token_ids[row:row + 1, :length]))
    np.testing.assert_allclose(logits[row:row + 1], unpadded, atol=1e-5)
  # Real tokens do count: the full sequence gives other logits.
  assert not np.allclose(logits, keras.ops.convert_to_numpy(model(token_ids)), atol=1e-4)


def test_unrolled_copy_takes_the_weights_and_gives_the_same_logits():
  token_ids = model_test_case.digits_token_ids()[0][:3, 24:36].copy()
  token_ids[0, 7:] = 0
  looped = LstmClassifier(**{**TINY, "sequence_length": 12})
  unrolled = LstmClassifier.from_config({**looped.get_config(), "unroll": True})
  unrolled.set_weights(looped.get_weights())
  np.testing.assert_allclose(keras.ops.convert_to_numpy(unrolled(token_ids)),
                             keras.ops.convert_to_numpy(looped(token_ids)), atol=1e-5)


def test_training_on_digits_reduces_loss():
  keras.utils.set_random_seed(0)
  token_ids, labels = model_test_case.digits_token_ids()
  model = LstmClassifier(**TINY, dropout=0.1)
  model_test_case.run_training_test(model, token_ids[:512], labels[:512], epochs=4, learning_rate=3e-2)


def test_mixed_precision_logits_are_float32():
  token_ids, _ = model_test_case.digits_token_ids()
  model_test_case.run_mixed_precision_test(LstmClassifier, TINY, token_ids[:4])


def test_saving(tmp_path):
  token_ids, _ = model_test_case.digits_token_ids()
  model_test_case.run_model_saving_test(LstmClassifier, {**TINY, "dropout": 0.1}, token_ids[:4], tmp_path)
