"""Classification data for the trainer: images as they are, texts through a vocabulary of the training texts.

Both stream from the data set's records: texts are tokenized in batches inside the tf.data pipeline, and the
vocabulary is chosen from the word counts of a stream of the training texts (or its first `data.vocabulary_sample`):
the most frequent `data.max_tokens` words among those that occur `data.min_token_count` times.
"""

from __future__ import annotations

import math
import os

from absl import logging
import numpy as np
import tensorflow as tf

from tfmodels import data as data_lib
from tfmodels.config import BUCKETS_FROM_DATA, ConfigError, ExperimentConfig
from tfmodels.data.data_error import DataError
from tfmodels.preprocessing.text_statistics import LENGTH_PERCENTILE, TextStatistics
from tfmodels.preprocessing.text_vectorizer import (VOCABULARY_FILE, load_vectorizer, save_vocabulary, token_ids,
                                                    vectorizer_for)
from tfmodels.training.ngram_fit import ngram_buckets_for
from tfmodels.training.task_data import TaskData
from tfmodels.training.text_baseline import tfidf_logistic_regression_accuracy


def classification_data(config: ExperimentConfig, model_dir: str, write_dir: str) -> TaskData:
  """Loads `config.data.dataset` for a classifier; a text vocabulary is chosen (or, resuming, read from
  `model_dir`) and saved into `write_dir`.

  Raises:
    ConfigError: the model reads another kind of input than the data set holds.
    DataError: the data set cannot be read, or has fewer than two classes.
  """
  if data_lib.is_corpus(config.data.dataset):
    raise ConfigError(f"'{config.data.dataset}' is a text corpus for the language models, not labelled data. Use "
                      f"--model=transformer_lm or --model=lstm_lm, or a labelled data set for --model="
                      f"{config.model.name}.")
  dataset = data_lib.load_dataset(config.data)
  if len(dataset.label_names) < 2:
    raise DataError(f"Data set '{dataset.name}' has a single class ({dataset.label_names[0]}); a classifier needs at "
                    "least two. Add examples of another class.")
  preprocess, vocab_size, chosen = _preprocessor(config, dataset, model_dir, write_dir)
  architecture = config.model.architecture
  if getattr(architecture, "ngram_buckets", 0) == BUCKETS_FROM_DATA:
    buckets = ngram_buckets_for(vocab_size, len(dataset.label_names))
    chosen[f"model.{config.model.name}.ngram_buckets"] = str(buckets)
    logging.info("model.%s.ngram_buckets=%d: the n-gram model's table for %d token ids and %d classes.",
                 config.model.name, buckets, vocab_size, len(dataset.label_names))
  length = int(chosen.get("data.sequence_length", config.data.sequence_length))
  # uint8 pixels or int32 token ids, and the int64 label.
  input_bytes = (math.prod(dataset.feature_shape) if dataset.kind == "image" else 4 * length) + 8

  def reader(split, shuffle_seed, input_context):
    return dataset.read_serialized(split, shuffle_seed=shuffle_seed, input_context=input_context)

  def decode(records):  # a batch of records -> model inputs (tokenized a batch at a time) and labels
    features, labels = dataset.decode_batch(records)
    return (features if preprocess is None else preprocess(features)), labels

  return TaskData(
      kind=dataset.kind,
      reader=reader,
      decode=decode,
      num_files={split: dataset.num_files(split) for split in dataset.num_examples},
      input_bytes=input_bytes,
      cache_budget_bytes=config.data.cache_budget_mb << 20,
      num_examples=dict(dataset.num_examples),
      model_args={"num_classes": len(dataset.label_names), "feature_shape": dataset.feature_shape,
                  "vocab_size": vocab_size, "sequence_length": length},
      chosen=chosen,
      test_figures=(lambda loss: _baseline_figures(config, dataset)) if dataset.kind == "text" else lambda loss: {},
      description={"name": dataset.name, "kind": dataset.kind, "feature_shape": list(dataset.feature_shape),
                   "label_names": list(dataset.label_names), "num_examples": dataset.num_examples})


def _preprocessor(config: ExperimentConfig, dataset: data_lib.LoadedDataset, model_dir: str, write_dir: str):
  """Returns (raw features -> model inputs, vocabulary size, settings chosen from the data); for text, the
  vocabulary is chosen from the training texts' word counts and saved."""
  model_name = config.model.name
  if dataset.kind != "text":
    if model_name != "cnn":
      raise ConfigError(f"Model '{model_name}' reads text, but '{dataset.name}' holds images. Use --model=cnn, or a "
                        "text data set (rotten_tomatoes, csv:PATH).")
    return None, 0, {}
  if model_name == "cnn":
    raise ConfigError(f"Model 'cnn' reads images, but '{dataset.name}' holds text. Use --model=lstm or "
                      "--model=transformer, or an image data set (digits, fashion_mnist, images:DIR).")
  length, chosen = config.data.sequence_length, {}
  saved = os.path.join(model_dir, VOCABULARY_FILE)
  if not os.path.exists(saved) and config.pretrain.init_from:  # a pretrained encoder's embedding rows are its ids
    saved = os.path.join(config.pretrain.init_from, VOCABULARY_FILE)
  if os.path.exists(saved):  # Resuming: the ids the checkpoint learned must not change.
    vectorizer = load_vectorizer(saved, length)
  else:
    texts = dataset.read("train").map(lambda text, label: text)
    if config.data.vocabulary_sample:
      texts = texts.take(config.data.vocabulary_sample)
    statistics = TextStatistics.from_texts(texts)
    if not length:
      length = statistics.sequence_length()
      chosen["data.sequence_length"] = str(length)
      logging.info("data.sequence_length=%d: the %dth percentile of the training texts' word counts is %.0f.",
                   length, LENGTH_PERCENTILE, np.percentile(statistics.lengths, LENGTH_PERCENTILE)
                   if statistics.lengths.size else 0)
    words = statistics.vocabulary(config.data.max_tokens, config.data.min_token_count)
    if not words:
      raise DataError(f"The training texts of '{dataset.name}' hold no word that occurs {config.data.min_token_count} "
                      "times or more: nothing to learn from. Check the text column, or lower "
                      "data.min_token_count.")
    vectorizer = vectorizer_for(words, length)
  os.makedirs(write_dir, exist_ok=True)
  save_vocabulary(vectorizer, os.path.join(write_dir, VOCABULARY_FILE))
  return (lambda texts: token_ids(vectorizer, texts)), vectorizer.vocabulary_size(), chosen


def _baseline_figures(config: ExperimentConfig, dataset: data_lib.LoadedDataset) -> dict:
  """The linear reference on the same split (`text_baseline`), for `evaluation.json`."""
  reference = tfidf_logistic_regression_accuracy(config.data, dataset)
  return {"baseline_accuracy": reference["accuracy"],
          "baseline": {key: reference[key] for key in ("method", "C", "validation_accuracy", "train_examples")}}
