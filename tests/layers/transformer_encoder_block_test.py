"""Tests for tfmodels/layers/transformer_encoder_block.py."""

import keras
import numpy as np
import pytest

from tests.testing import model_test_case
from tfmodels.layers import TransformerEncoderBlock

BATCH, SEQ, WIDTH = 2, 6, 8


@pytest.fixture
def inputs():
  return np.random.default_rng(0).normal(size=(BATCH, SEQ, WIDTH)).astype(np.float32)


def _block(**kwargs):
  keras.utils.set_random_seed(0)
  return TransformerEncoderBlock(num_heads=2, ff_dim=16, **kwargs)


def test_output_shape_and_normalization(inputs):
  output = keras.ops.convert_to_numpy(_block()(inputs))
  assert output.shape == inputs.shape
  # Post-norm: every position leaves through a LayerNormalization (initial scale 1, offset 0).
  np.testing.assert_allclose(output.mean(axis=-1), 0.0, atol=1e-5)
  np.testing.assert_allclose(output.std(axis=-1), 1.0, atol=1e-2)


def test_padded_positions_do_not_affect_real_ones(inputs):
  block = _block()
  mask = np.array([[True] * 4 + [False] * 2, [True] * 2 + [False] * 4])
  changed = inputs.copy()
  changed[~mask] = 100.0  # anything at padded positions
  real = keras.ops.convert_to_numpy(block(inputs, mask=mask))[mask]
  np.testing.assert_allclose(keras.ops.convert_to_numpy(block(changed, mask=mask))[mask], real, atol=1e-5)
  # Without the mask the same change reaches the real positions, so the check above can fail.
  assert not np.allclose(keras.ops.convert_to_numpy(block(changed))[mask], real, atol=1e-3)


@pytest.mark.parametrize("causal", [True, False])
def test_real_positions_equal_keras_multi_head_attention(inputs, causal):
  # The block masks with arithmetic (`masked_softmax`), not through Keras' MultiHeadAttention: the same values at
  # every real position, as a float mask (what the classifier passes) and as a boolean one.
  block = _block(causal=causal)
  mask = np.array([[True] * 4 + [False] * 2, [True] * 2 + [False] * 4])
  ours = keras.ops.convert_to_numpy(block(inputs, mask=mask))
  np.testing.assert_allclose(keras.ops.convert_to_numpy(block(inputs, mask=mask.astype(np.float32))), ours, atol=1e-6)
  keras_mask = mask[:, :, None] & mask[:, None, :]
  attended = block.attention(inputs, inputs, attention_mask=keras_mask, use_causal_mask=causal)
  # pylint: disable=protected-access
  expected = keras.ops.convert_to_numpy(block._residual_and_feed_forward(inputs, attended, training=False))
  np.testing.assert_allclose(ours[mask], expected[mask], atol=1e-5)


@pytest.mark.parametrize("causal", [True, False])
def test_causal_block_ignores_later_positions(inputs, causal):
  block = _block(causal=causal)
  changed = inputs.copy()
  changed[:, 3:] += 1.0  # change the future of positions 0..2
  before = keras.ops.convert_to_numpy(block(inputs))[:, :3]
  after = keras.ops.convert_to_numpy(block(changed))[:, :3]
  assert np.allclose(before, after, atol=1e-5) == causal


def test_width_must_be_a_multiple_of_heads():
  with pytest.raises(ValueError, match="multiple of num_heads"):
    TransformerEncoderBlock(num_heads=3, ff_dim=8)(np.zeros((1, 2, 8), np.float32))


def test_saving(inputs, tmp_path):
  model_test_case.run_layer_saving_test(
      TransformerEncoderBlock, {"num_heads": 2, "ff_dim": 16, "dropout": 0.1, "causal": True}, inputs, tmp_path)
