"""Tests of export/tflite/transformer_graph.py: the quantization-friendly masking computes what Keras computes."""

import keras
import numpy as np
import tensorflow as tf

from export.tflite.transformer_graph import int8_friendly_logits
from tfmodels.models.transformer_lm import TransformerLm


def test_logits_match_keras_with_padding_and_the_model_is_left_untouched():
  keras.utils.set_random_seed(3)
  model = TransformerLm(vocab_size=20, sequence_length=12, embedding_dim=16, num_layers=2, num_heads=2, ff_dim=32)
  # Larger weights than the initializer's, so that attention is far from uniform, as in a trained model.
  rng = np.random.default_rng(0)
  model.set_weights([w + rng.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
  ids = rng.integers(2, 20, (6, 12)).astype(np.int32)
  for row, length in zip(ids, (1, 3, 6, 9, 11, 12)):
    row[length:] = 0  # right padding, as the generation windows have
  expected = model(ids).numpy()
  np.testing.assert_allclose(int8_friendly_logits(model, tf.constant(ids)).numpy(), expected, atol=1e-4)
  assert all("_compute_attention" not in vars(block.attention) for block in model.blocks)
  np.testing.assert_array_equal(model(ids).numpy(), expected)
