"""Text generation with a trained language model in Keras."""

from tfmodels.generation.keras_cached_language_model import KerasCachedLanguageModel
from tfmodels.generation.keras_next_token import KerasNextToken

__all__ = ["KerasCachedLanguageModel", "KerasNextToken"]
