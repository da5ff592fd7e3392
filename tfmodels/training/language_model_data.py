"""Language-model data for the trainer: a text corpus as characters, cut into context windows inside each block.

The character vocabulary is built on the training split only (or, resuming, read from the model directory) and
saved beside the model as `char_vocabulary.json`; the edge runtime reads the same file with the same class. Each
split's blocks are encoded and cut into windows of `sequence_length + 1` characters (inputs, and targets shifted by
one) that never cross a block, so no window spans two splits. The test figures add the perplexity of the model and
of a Kneser-Ney bigram model fitted on the same training tokens and scored on the same test windows.
"""

from __future__ import annotations

import math
import os

import numpy as np
import tensorflow as tf

from edge.char_vocabulary import UNKNOWN, VOCABULARY_FILE, CharVocabulary
from tfmodels import data as data_lib
from tfmodels.config import ConfigError, ExperimentConfig
from tfmodels.data.data_error import DataError
from tfmodels.data.lm_windows import make_windows
from tfmodels.training.bigram_model import BigramModel
from tfmodels.training.task_data import TaskData


def language_model_data(config: ExperimentConfig, model_dir: str, write_dir: str) -> TaskData:
  """Loads the corpus `config.data.dataset` as next-character windows; saves the vocabulary into `write_dir`.

  Raises:
    ConfigError: the data set is not a text corpus.
    DataError: the corpus cannot be read, or a split is too small for one window.
  """
  name = config.data.dataset
  if not (data_lib.is_corpus(name) or name.startswith(data_lib.TFDS_PREFIX)):
    raise ConfigError(f"Model '{config.model.name}' learns from running text, but '{name}' is a labelled data set. "
                      f"Use --dataset=novels or --dataset={data_lib.TEXT_PREFIX}PATH (a UTF-8 text file or a folder "
                      "of .txt files), or a classifier (--model=cnn, lstm or transformer).")
  corpus = data_lib.load_corpus(config.data)
  length = config.data.sequence_length
  saved = os.path.join(model_dir, VOCABULARY_FILE)
  if os.path.exists(saved):  # Resuming: the ids the checkpoint learned must not change.
    vocabulary = CharVocabulary.load(saved)
  else:
    vocabulary = CharVocabulary.build(corpus.splits["train"], max_size=config.data.max_tokens)
  os.makedirs(write_dir, exist_ok=True)
  vocabulary.save(os.path.join(write_dir, VOCABULARY_FILE))
  encoded = {split: [vocabulary.encode(block) for block in blocks] for split, blocks in corpus.splits.items()}
  windows = {split: make_windows(blocks, length) for split, blocks in encoded.items()}
  for split, (inputs, _) in windows.items():
    if not len(inputs):
      raise DataError(f"The {split} split of '{name}' holds {corpus.num_characters[split]} characters, fewer than one "
                      f"window of {length + 1}. Use more text, or a shorter window: "
                      f"--params=data.sequence_length={max(1, corpus.num_characters[split] // 2)}.")

  def test_figures(test_loss: float) -> dict:
    bigram = BigramModel().fit(encoded["train"], vocabulary.size)
    bigram_perplexity = bigram.perplexity(*windows["test"])
    perplexity = math.exp(test_loss)
    return {"perplexity": perplexity, "bigram_perplexity": bigram_perplexity,
            "perplexity_over_bigram": perplexity / bigram_perplexity, "num_tokens": int(windows["test"][1].size)}

  def reader(split, shuffle_seed, input_context):
    del shuffle_seed, input_context  # The windows are in memory: one "file" per split.
    inputs, targets = windows[split]
    # Targets are int64, as class labels are: the trainer's steps compare them with int64 argmaxes.
    return tf.data.Dataset.from_tensor_slices((inputs, targets.astype(np.int64)))

  return TaskData(
      kind="corpus",
      reader=reader,
      num_files={split: 1 for split in windows},
      input_bytes=12 * length,
      # The windows are already in memory as arrays: keeping their tensors too costs little and saves the slicing.
      cache_budget_bytes=1 << 62,
      num_examples={split: int(len(inputs)) for split, (inputs, _) in windows.items()},
      model_args={"num_classes": vocabulary.size, "feature_shape": (length,), "vocab_size": vocabulary.size,
                  "sequence_length": length},
      description={"name": corpus.name, "kind": "corpus", "feature_shape": [length], "label_names": [],
                   "num_examples": {split: int(len(inputs)) for split, (inputs, _) in windows.items()},
                   "num_characters": dict(corpus.num_characters), "documents": list(corpus.documents),
                   "vocabulary_size": vocabulary.size,
                   "unknown_characters": {split: int(np.sum([np.count_nonzero(ids == UNKNOWN)
                                                             for ids in blocks])) for split, blocks in encoded.items()}},
      test_figures=test_figures)
