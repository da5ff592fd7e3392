"""Preprocessing that travels with a trained model (the text vocabulary)."""

from tfmodels.preprocessing.text_vectorizer import load_vectorizer, save_vocabulary, vectorizer_for

__all__ = ["load_vectorizer", "save_vocabulary", "vectorizer_for"]
