"""Tests of tfmodels/preprocessing/text_statistics.py on real texts (Rotten Tomatoes snippets)."""

import functools
import re

import keras
import numpy as np
import tensorflow as tf

from tfmodels import data as data_lib
from tfmodels.config import DataConfig
from tfmodels.preprocessing.text_statistics import TextStatistics


@functools.cache
def review_texts() -> tf.data.Dataset:
  return data_lib.load_dataset(DataConfig(dataset="rotten_tomatoes")).read("train").map(lambda text, label: text)


@functools.cache
def review_statistics() -> TextStatistics:
  return TextStatistics.from_texts(review_texts())


def test_the_top_words_are_those_keras_adapt_keeps_in_the_same_order():
  statistics = review_statistics()
  for max_tokens in (500, 8000):
    adapted = keras.layers.TextVectorization(max_tokens=max_tokens)
    adapted.adapt(review_texts().batch(1024))
    assert statistics.vocabulary(max_tokens) == adapted.get_vocabulary()[2:]


def test_counts_and_lengths_are_those_of_the_texts():
  statistics = review_statistics()
  texts = [t.decode() for t in review_texts().as_numpy_iterator()]
  assert statistics.lengths.size == len(texts) and statistics.counts.sum() == statistics.lengths.sum()
  standardized = keras.layers.TextVectorization(output_mode="int", max_tokens=None, ragged=True)
  standardized.adapt(tf.constant(texts[:50]))
  # Keras' standardisation (lower case, punctuation stripped) split on whitespace.
  assert statistics.lengths[:50].tolist() == [len(row) for row in standardized(tf.constant(texts[:50])).to_list()]
  assert (np.diff(statistics.counts) <= 0).all()  # most frequent first
  the = statistics.words.index("the")
  strip = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'  # Keras' punctuation
  assert statistics.counts[the] == sum(re.sub(strip, "", text.lower()).split().count("the") for text in texts)


def test_a_minimum_count_drops_the_rare_words():
  statistics = review_statistics()
  every = statistics.vocabulary(10 ** 6)
  twice = statistics.vocabulary(10 ** 6, min_count=2)
  assert len(every) == len(statistics.words) and 0 < len(twice) < len(every) / 2  # most words occur once
  assert twice == every[:len(twice)] and statistics.counts[len(twice) - 1] >= 2 > statistics.counts[len(twice)]
  assert statistics.vocabulary(1000, min_count=2) == twice[:998]  # padding and OOV take two of max_tokens


def test_the_sequence_length_is_the_95th_percentile_rounded_up_and_bounded():
  statistics = review_statistics()
  length = statistics.sequence_length()
  assert length % 8 == 0 and np.percentile(statistics.lengths, 95) <= length < np.percentile(statistics.lengths, 95) + 8
  assert 0.95 <= (statistics.lengths <= length).mean()
  short = TextStatistics(words=("a",), counts=np.array([3]), lengths=np.array([1, 1, 2]))
  long = TextStatistics(words=("a",), counts=np.array([3]), lengths=np.array([5000, 7000]))
  assert short.sequence_length() == 16 and long.sequence_length() == 256
