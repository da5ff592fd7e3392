"""Edge runtime: runs exported `.tflite` classifiers with LiteRT, numpy and Pillow only (no TensorFlow, no Keras)."""

from edge.edge_classifier import EdgeClassifier
from edge.edge_error import EdgeError
from edge.image_loader import ImageLoader
from edge.model_metadata import ImageInfo, ModelMetadata, TensorInfo, TextInfo
from edge.text_tokenizer import TextTokenizer

__all__ = ["EdgeClassifier", "EdgeError", "ImageInfo", "ImageLoader", "ModelMetadata", "TensorInfo", "TextInfo",
           "TextTokenizer"]
