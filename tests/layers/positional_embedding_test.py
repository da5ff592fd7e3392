"""Tests for tfmodels/layers/positional_embedding.py."""

import keras
import numpy as np

from tests.testing import model_test_case
from tfmodels.layers import PositionalEmbedding
from tfmodels.layers import TransformerEncoderBlock

TOKEN_IDS = np.array([[5, 3, 7, 0, 0], [1, 2, 0, 0, 0]], np.int32)


def test_output_is_token_plus_position_embedding():
  layer = PositionalEmbedding(vocab_size=8, sequence_length=6, embedding_dim=4)
  output = keras.ops.convert_to_numpy(layer(TOKEN_IDS))
  assert output.shape == (2, 5, 4)
  tokens = keras.ops.convert_to_numpy(layer.token_embedding.embeddings)
  positions = keras.ops.convert_to_numpy(layer.position_embeddings)
  np.testing.assert_allclose(output, tokens[TOKEN_IDS] + positions[None, :5], atol=1e-6)


def test_same_token_differs_by_position():
  layer = PositionalEmbedding(vocab_size=8, sequence_length=4, embedding_dim=4)
  output = keras.ops.convert_to_numpy(layer(np.array([[3, 3, 3, 3]], np.int32)))
  assert not np.allclose(output[0, 0], output[0, 1])


def test_mask_marks_non_padding_tokens():
  layer = PositionalEmbedding(vocab_size=8, sequence_length=6, embedding_dim=4)
  mask = keras.ops.convert_to_numpy(layer.compute_mask(TOKEN_IDS))
  np.testing.assert_array_equal(mask, TOKEN_IDS != 0)


def test_mask_propagates_to_next_layer():
  keras.utils.set_random_seed(0)
  embedding = PositionalEmbedding(vocab_size=8, sequence_length=6, embedding_dim=4)
  block = TransformerEncoderBlock(num_heads=2, ff_dim=8)
  embedded = embedding(TOKEN_IDS)
  propagated = keras.ops.convert_to_numpy(block(embedded))  # mask handed over by Keras
  explicit = keras.ops.convert_to_numpy(block(embedded, mask=TOKEN_IDS != 0))
  # A copy through numpy drops the mask, so padding is attended to.
  unmasked = keras.ops.convert_to_numpy(block(keras.ops.convert_to_numpy(embedded)))
  real = TOKEN_IDS != 0
  np.testing.assert_allclose(propagated[real], explicit[real], atol=1e-6)
  assert not np.allclose(propagated[real], unmasked[real], atol=1e-4)


def test_saving(tmp_path):
  model_test_case.run_layer_saving_test(
      PositionalEmbedding, {"vocab_size": 8, "sequence_length": 5, "embedding_dim": 4}, TOKEN_IDS, tmp_path)
