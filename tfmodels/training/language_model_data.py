"""Language-model data for the trainer: a text corpus as characters, cut into context windows inside each block.

The character vocabulary is built from the training split's character counts (or, resuming, read from the model
directory) and saved beside the model as `char_vocabulary.json`; the edge runtime reads the same file with the same
class. Each split is streamed from the corpus' records and cut into windows of `sequence_length + 1` characters
(inputs, and targets shifted by one) that never cross a block, so no window spans two splits
(`TextCorpus.windows`). The test figures add the perplexity of the model and of a Kneser-Ney bigram model, whose
counts are taken from the streamed training blocks and which is scored on the same streamed test windows.
"""

from __future__ import annotations

import math
import os

import tensorflow as tf

from edge.char_vocabulary import VOCABULARY_FILE, CharVocabulary
from tfmodels import data as data_lib
from tfmodels import dataset_names
from tfmodels.config import ExperimentConfig
from tfmodels.data.data_error import DataError
from tfmodels.training.bigram_model import BigramModel
from tfmodels.training.task_data import TaskData

# Test windows scored by the bigram model at a time.
_BIGRAM_BATCH = 1024


def language_model_data(config: ExperimentConfig, model_dir: str, write_dir: str) -> TaskData:
  """Loads the corpus `config.data.dataset` as next-character windows; saves the vocabulary into `write_dir`.

  Raises:
    ConfigError: the data set is not a text corpus.
    DataError: the corpus cannot be read, or a split is too small for one window.
  """
  dataset_names.check_fits(config.data.dataset, config.model)
  corpus = data_lib.load_corpus(config.data)
  length = config.data.sequence_length
  saved = os.path.join(model_dir, VOCABULARY_FILE)
  if os.path.exists(saved):  # Resuming: the ids the checkpoint learned must not change.
    vocabulary = CharVocabulary.load(saved)
  else:
    vocabulary = CharVocabulary.from_counts(corpus.character_counts["train"], max_size=config.data.max_tokens)
  os.makedirs(write_dir, exist_ok=True)
  vocabulary.save(os.path.join(write_dir, VOCABULARY_FILE))
  num_examples = {split: corpus.num_windows(split, length) for split in data_lib.SPLIT_NAMES}
  for split, count in num_examples.items():
    if not count:
      raise DataError(f"The {split} split of '{config.data.dataset}' holds {corpus.num_characters[split]} "
                      f"characters, fewer than one window of {length + 1}. Use more text, or a shorter window: "
                      f"--params=data.sequence_length={max(1, corpus.num_characters[split] // 2)}.")
  known = set(vocabulary.tokens[2:])

  def test_figures(test_loss: float) -> dict:
    bigram_perplexity = bigram_reference_perplexity(corpus, vocabulary, length, "test")
    perplexity = math.exp(test_loss)
    return {"perplexity": perplexity, "bigram_perplexity": bigram_perplexity,
            "perplexity_over_bigram": perplexity / bigram_perplexity, "num_tokens": num_examples["test"] * length}

  def reader(split: str, shuffle_seed: int | None, input_context: tf.distribute.InputContext | None):
    return corpus.windows(split, vocabulary, length, shuffle_seed=shuffle_seed, input_context=input_context)

  return TaskData(
      kind="corpus",
      reader=reader,
      num_files={split: corpus.num_files(split) for split in data_lib.SPLIT_NAMES},
      input_bytes=12 * length,  # int32 inputs and int64 targets
      cache_budget_bytes=config.data.cache_budget_mb << 20,
      num_examples=num_examples,
      model_args={"num_classes": vocabulary.size, "feature_shape": (length,), "vocab_size": vocabulary.size,
                  "sequence_length": length},
      description={"name": corpus.name, "kind": "corpus", "feature_shape": [length], "label_names": [],
                   "num_examples": num_examples, "num_characters": dict(corpus.num_characters),
                   "documents": list(corpus.documents), "vocabulary_size": vocabulary.size,
                   # Characters outside the vocabulary (the unknown token's own character included) read as unknown.
                   "unknown_characters": {split: int(sum(count for character, count in counts.items()
                                                         if character not in known))
                                          for split, counts in corpus.character_counts.items()}},
      test_figures=test_figures)


def bigram_reference_perplexity(corpus: data_lib.TextCorpus, vocabulary: CharVocabulary, sequence_length: int,
                                split: str) -> float:
  """Per-character perplexity of the Kneser-Ney bigram reference, fitted on the streamed training blocks of
  `corpus`, on the windows of `split` (the positions a language model with this window is scored on)."""
  bigram = BigramModel().fit((vocabulary.encode(text) for text in corpus.texts("train")), vocabulary.size)
  windows = corpus.windows(split, vocabulary, sequence_length).batch(_BIGRAM_BATCH).as_numpy_iterator()
  return bigram.streamed_perplexity(windows)
