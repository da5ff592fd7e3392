"""Tests for tfmodels/layers/hashed_ngram_logits.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from export.tflite.tflite_ops import TfliteOps
from tests.testing import model_test_case
from tfmodels.config import MAX_NGRAM_VOCAB_SIZE, ConfigError
from tfmodels.layers import HashedNgramLogits
from tfmodels.training.experiment import config_from_flags

VOCAB_SIZE = model_test_case.DIGITS_VOCAB_SIZE
BUCKETS = 97


def _token_ids():
  """Real token ids (the digits' pixels) with padding after 40, 23 and 0 tokens."""
  ids = model_test_case.digits_token_ids()[0][:3].copy()
  for row, length in enumerate((40, 23, 0)):
    ids[row, length:] = 0
  return ids


def _layer(seed=0):
  layer = HashedNgramLogits(3, VOCAB_SIZE, BUCKETS)
  layer.build((None, None))
  table = np.random.default_rng(seed).normal(size=(VOCAB_SIZE + BUCKETS, 3)).astype(np.float32)
  table[0] = 0.0  # as fitted: the padding id reads nothing
  layer.set_weights([table, np.array([0.5, -1.0, 2.0], np.float32)])
  return layer


def test_feature_ids_are_the_unigrams_then_the_hashed_bigrams_of_real_tokens():
  ids = _token_ids()
  features = keras.ops.convert_to_numpy(_layer().feature_ids(ids))
  assert features.shape == (3, 2 * ids.shape[1] - 1) and features.dtype == np.int32
  for row in range(3):
    bigrams = [VOCAB_SIZE + (a * VOCAB_SIZE + b) % BUCKETS if a and b else 0
               for a, b in zip(ids[row, :-1], ids[row, 1:])]
    assert features[row].tolist() == ids[row].tolist() + bigrams
  assert not features[2].any()  # an all-padding text has no n-gram


def test_logits_are_the_bias_plus_one_table_row_per_ngram():
  ids = _token_ids()
  layer = _layer()
  table, bias = layer.get_weights()
  logits = keras.ops.convert_to_numpy(layer(ids))
  assert logits.shape == (3, 3) and logits.dtype == np.float32
  for row in range(3):
    features = keras.ops.convert_to_numpy(layer.feature_ids(ids[row:row + 1]))[0]
    np.testing.assert_allclose(logits[row], bias + table[features].sum(axis=0), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(logits[2], bias)  # padding adds nothing
  # Counts, not presence: a repeated bigram counts twice.
  repeated = np.array([[5, 6, 5, 6, 0]], np.int32)
  bigram = VOCAB_SIZE + (5 * VOCAB_SIZE + 6) % BUCKETS
  np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(repeated))[0],
                             bias + 2 * table[5] + 2 * table[6] + 2 * table[bigram] + table[
                                 VOCAB_SIZE + (6 * VOCAB_SIZE + 5) % BUCKETS], rtol=1e-5)


def test_its_weights_start_at_zero_and_are_not_trained():
  layer = HashedNgramLogits(2, VOCAB_SIZE, BUCKETS)
  np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(_token_ids())), np.zeros((3, 2)))
  assert not layer.trainable_weights and len(layer.non_trainable_weights) == 2


def test_it_round_trips_through_its_config_and_a_keras_file(tmp_path):
  ids = _token_ids()
  layer = _layer()
  expected = keras.ops.convert_to_numpy(layer(ids))
  copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
  assert isinstance(copy, HashedNgramLogits) and copy.get_config() == layer.get_config()
  copy.set_weights(layer.get_weights())
  np.testing.assert_array_equal(keras.ops.convert_to_numpy(copy(ids)), expected)
  inputs = keras.Input(shape=(ids.shape[1],), dtype="int32")
  path = tmp_path / "ngrams.keras"
  keras.Model(inputs, layer(inputs)).save(path)
  np.testing.assert_array_equal(keras.ops.convert_to_numpy(keras.saving.load_model(path)(ids)), expected)


def test_full_integer_quantization_keeps_it_integer():
  ids = _token_ids()
  inputs = keras.Input(batch_shape=(1, ids.shape[1]), dtype="int32")
  model = keras.Model(inputs, _layer()(inputs))
  converter = tf.lite.TFLiteConverter.from_keras_model(model)
  converter.optimizations = [tf.lite.Optimize.DEFAULT]
  converter.representative_dataset = lambda: ([model_test_case.digits_token_ids()[0][i:i + 1]] for i in range(20))
  converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
  converter.inference_output_type = tf.int8
  ops = TfliteOps.parse(converter.convert())
  assert ops.integer_only, ops.float_ops
  assert {"GATHER", "FLOOR_MOD", "SUM"} <= {name for name, _ in ops.ops}


def test_vocabularies_whose_bigram_keys_overflow_int32_are_refused():
  assert (MAX_NGRAM_VOCAB_SIZE ** 2 < 2**31 <= (MAX_NGRAM_VOCAB_SIZE + 1) ** 2)
  HashedNgramLogits(2, MAX_NGRAM_VOCAB_SIZE, 8)
  with pytest.raises(ValueError, match="vocab_size"):
    HashedNgramLogits(2, MAX_NGRAM_VOCAB_SIZE + 1, 8)
  with pytest.raises(ConfigError, match="data.max_tokens"):
    config_from_flags(model="lstm", dataset="csv:reviews.csv", params=f"data.max_tokens={MAX_NGRAM_VOCAB_SIZE + 1}")
  config_from_flags(model="lstm", dataset="csv:reviews.csv",
                    params=f"data.max_tokens={MAX_NGRAM_VOCAB_SIZE + 1},model.lstm.ngram_buckets=0")
