"""Reusable Keras layers."""

from tfmodels.layers.centered_layer_normalization import CenteredLayerNormalization
from tfmodels.layers.hashed_ngram_logits import HashedNgramLogits
from tfmodels.layers.positional_embedding import PositionalEmbedding
from tfmodels.layers.transformer_encoder_block import TransformerEncoderBlock

__all__ = ["CenteredLayerNormalization", "HashedNgramLogits", "PositionalEmbedding", "TransformerEncoderBlock"]
