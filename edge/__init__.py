"""Edge runtime: runs exported `.tflite` classifiers and language models with LiteRT, numpy and Pillow only (no
TensorFlow, no Keras)."""

from edge.cached_signatures import CachedSignatures
from edge.edge_classifier import EdgeClassifier
from edge.edge_error import EdgeError
from edge.edge_language_model import EdgeLanguageModel
from edge.image_loader import ImageLoader
from edge.model_metadata import ImageInfo, LanguageModelInfo, ModelMetadata, TensorInfo, TextInfo
from edge.text_tokenizer import TextTokenizer

__all__ = ["CachedSignatures", "EdgeClassifier", "EdgeError", "EdgeLanguageModel", "ImageInfo", "ImageLoader",
           "LanguageModelInfo", "ModelMetadata", "TensorInfo", "TextInfo", "TextTokenizer"]
