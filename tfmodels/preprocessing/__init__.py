"""Preprocessing that travels with a trained model (the text vocabulary)."""

from tfmodels.preprocessing.text_vectorizer import adapt_vectorizer, load_vectorizer, save_vocabulary

__all__ = ["adapt_vectorizer", "load_vectorizer", "save_vocabulary"]
