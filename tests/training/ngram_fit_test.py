"""Tests for tfmodels/training/ngram_fit.py on real text (Rotten Tomatoes snippets) and real digits."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfmodels import data as data_lib
from tfmodels.config import DataConfig
from tfmodels.models import LstmClassifier, TransformerClassifier
from tfmodels.preprocessing.text_statistics import TextStatistics
from tfmodels.preprocessing.text_vectorizer import token_ids, vectorizer_for
from tfmodels.training import ngram_fit

SEQUENCE_LENGTH = 32


@functools.cache
def reviews():
  """Token ids and labels of 3,000 training and 1,000 validation snippets, and the vocabulary size."""
  dataset = data_lib.load_dataset(DataConfig(dataset="rotten_tomatoes"))
  train_texts, train_labels = dataset.split_arrays("train", limit=3000)
  validation_texts, validation_labels = dataset.split_arrays("validation", limit=1000)
  words = TextStatistics.from_texts(tf.data.Dataset.from_tensor_slices(train_texts)).vocabulary(20000, 2)
  vectorizer = vectorizer_for(words, SEQUENCE_LENGTH)
  return ((token_ids(vectorizer, train_texts).numpy(), train_labels),
          (token_ids(vectorizer, validation_texts).numpy(), validation_labels), vectorizer.vocabulary_size())


@functools.cache
def novel_passages():
  """40-word passages of the four novels labelled by title: 1,200 to train on and 400 held out, and the vocabulary
  size."""
  from tfmodels.data.corpus_loader import read_novels  # pylint: disable=import-outside-toplevel
  from tfmodels.data.package_cache import tidytext_books_rda  # pylint: disable=import-outside-toplevel
  texts, labels = [], []
  for label, (_, text) in enumerate(read_novels(tidytext_books_rda())):
    words = text.split()[2000:2000 + 400 * 40]
    texts += [" ".join(words[start:start + 40]) for start in range(0, len(words), 40)]
    labels += [label] * (len(words) // 40)
  order = np.random.default_rng(0).permutation(len(texts))
  texts, labels = np.array(texts, dtype=object)[order], np.array(labels)[order]
  words = TextStatistics.from_texts(tf.data.Dataset.from_tensor_slices(list(texts[:1200]))).vocabulary(20000, 2)
  vectorizer = vectorizer_for(words, 40)
  return ((token_ids(vectorizer, list(texts[:1200])).numpy(), labels[:1200]),
          (token_ids(vectorizer, list(texts[1200:])).numpy(), labels[1200:]), vectorizer.vocabulary_size())


def _split(ids, labels):
  return tf.data.Dataset.from_tensor_slices((ids, labels))


@pytest.mark.parametrize("model_class", [LstmClassifier, TransformerClassifier])
def test_the_fit_sets_the_ngram_model_and_the_blend_and_the_model_computes_it(model_class):
  (train_ids, train_labels), (validation_ids, validation_labels), vocab_size = reviews()
  keras.utils.set_random_seed(0)
  model = model_class(2, vocab_size, SEQUENCE_LENGTH, ngram_buckets=4096)
  network = keras.ops.convert_to_numpy(model(validation_ids))  # an untrained network: chance
  lines = []
  figures = ngram_fit.fit_ngram_model(model, _split(train_ids, train_labels), _split(validation_ids,
                                                                                     validation_labels), lines.append)
  accuracy = figures["validation_accuracy"]
  assert accuracy["ngrams"] > 0.68 and accuracy["network"] < 0.6  # snippets: ~0.72 from 3,000 training texts
  assert accuracy["combined"] >= accuracy["ngrams"] - 0.02
  assert figures["C"] in ngram_fit.C_VALUES and figures["train_examples"] == 3000 and figures["buckets"] == 4096
  assert figures["ngram_weight"] > 0
  # The model now gives the blend: its output layer scaled by network_weight plus the n-gram model.
  ngrams = keras.ops.convert_to_numpy(model.ngram_logits(validation_ids))
  blended = keras.ops.convert_to_numpy(model(validation_ids))
  np.testing.assert_allclose(blended, figures["network_weight"] * network + ngrams, rtol=1e-4, atol=1e-4)
  assert np.mean(np.argmax(blended, axis=1) == validation_labels) == pytest.approx(accuracy["combined"])
  assert np.mean(np.argmax(ngrams, axis=1) == validation_labels) == pytest.approx(accuracy["ngrams"], abs=1e-3)
  assert "N-gram model" in lines[0] and f"{accuracy['combined']:.4f}" in lines[0]


def test_a_second_fit_gives_the_same_ngram_model():
  (train_ids, train_labels), (validation_ids, validation_labels), vocab_size = reviews()
  keras.utils.set_random_seed(0)
  model = TransformerClassifier(2, vocab_size, SEQUENCE_LENGTH, ngram_buckets=4096)
  first = ngram_fit.fit_ngram_model(model, _split(train_ids, train_labels), _split(validation_ids, validation_labels),
                                    lambda line: None)
  weights = [w.copy() for w in model.ngram_logits.get_weights()]
  second = ngram_fit.fit_ngram_model(model, _split(train_ids, train_labels),
                                     _split(validation_ids, validation_labels), lambda line: None)
  assert second["validation_accuracy"]["ngrams"] == first["validation_accuracy"]["ngrams"]
  for before, after in zip(weights, model.ngram_logits.get_weights()):
    np.testing.assert_allclose(after / max(second["ngram_weight"], 1e-9),
                               before / max(first["ngram_weight"], 1e-9), rtol=1e-5, atol=1e-6)


def test_two_classes_get_opposite_logits_and_more_classes_one_model_each():
  (train_ids, train_labels), _, vocab_size = reviews()
  model = TransformerClassifier(2, vocab_size, SEQUENCE_LENGTH, ngram_buckets=4096)
  counts, labels, _ = ngram_fit._read(model.ngram_logits, _split(train_ids, train_labels), with_ids=False)
  table, bias = ngram_fit._naive_bayes_logistic(counts, labels, 2, (1.0,))[0]
  np.testing.assert_array_equal(table[:, 0], -table[:, 1])
  assert bias[0] == -bias[1] and not table[0].any()
  # Four classes (which novel a 40-word passage is from): one model against the rest per class.
  (train_ids, train_labels), (held_out_ids, held_out_labels), vocab_size = novel_passages()
  novel_model = TransformerClassifier(4, vocab_size, 40, ngram_buckets=4096)
  counts, labels, _ = ngram_fit._read(novel_model.ngram_logits, _split(train_ids, train_labels), with_ids=False)
  table, bias = ngram_fit._naive_bayes_logistic(counts, labels, 4, (1.0,))[0]
  held_out, held_out_labels, _ = ngram_fit._read(novel_model.ngram_logits, _split(held_out_ids, held_out_labels),
                                                 with_ids=False)
  assert np.mean(np.argmax(held_out @ table + bias, axis=1) == held_out_labels) > 0.85  # chance: 0.25


def test_a_class_without_training_texts_is_never_the_ngram_models_answer():
  (train_ids, train_labels), _, vocab_size = reviews()
  model = TransformerClassifier(3, vocab_size, SEQUENCE_LENGTH, ngram_buckets=4096)
  counts, labels, _ = ngram_fit._read(model.ngram_logits, _split(train_ids, train_labels), with_ids=False)
  table, bias = ngram_fit._naive_bayes_logistic(counts, labels, 3, (1.0,))[0]  # class 2 has no text
  assert not table[:, 2].any() and bias[2] < -10
  assert not np.any(np.argmax(counts @ table + bias, axis=1) == 2)


def test_the_blend_weighs_out_a_side_that_adds_nothing():
  rng = np.random.default_rng(0)
  labels = rng.integers(0, 2, 2000)
  informative = np.stack([-(labels * 2 - 1.0), labels * 2 - 1.0], axis=1) + rng.normal(0, 1.5, (2000, 2))
  noise = rng.normal(0, 1.0, (2000, 2))
  network_weight, ngram_weight = ngram_fit._blend(noise, informative, labels)
  assert network_weight <= 0.1 < ngram_weight
  network_weight, ngram_weight = ngram_fit._blend(informative, noise, labels)
  assert ngram_weight <= 0.1 < network_weight


def test_the_table_chosen_from_the_data_stays_within_its_budget():
  assert ngram_fit.ngram_buckets_for(9215, 2) == ngram_fit.NGRAM_BUCKETS == 2**18  # short reviews, two classes
  assert ngram_fit.ngram_buckets_for(9784, 4) == 2**18  # (9,784 + 2**18) x 4 = 1.09M weights
  assert ngram_fit.ngram_buckets_for(20000, 8) == 2**17
  assert ngram_fit.ngram_buckets_for(20000, 100) == ngram_fit.MIN_BUCKETS  # many classes: the unigrams dominate
  for vocab_size, classes in ((5000, 3), (20000, 12), (40000, 30)):
    buckets = ngram_fit.ngram_buckets_for(vocab_size, classes)
    assert (vocab_size + buckets) * classes <= ngram_fit.MAX_TABLE_WEIGHTS or buckets == ngram_fit.MIN_BUCKETS
