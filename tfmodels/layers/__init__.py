"""Reusable Keras layers."""

from tfmodels.layers.positional_embedding import PositionalEmbedding
from tfmodels.layers.transformer_encoder_block import TransformerEncoderBlock

__all__ = ["PositionalEmbedding", "TransformerEncoderBlock"]
