"""Pretraining data for a text classifier's encoder: unlabelled texts as words to predict.

The texts are the labelled data set's own training texts (their labels unread), then, when `pretrain.corpus` names
one, pieces of `data.sequence_length` words cut from a text corpus, up to `pretrain.max_texts` in all; the
validation split's texts score the pretraining (early stopping) and stand in for its test split. Every text is
tokenized with the classifier run's vocabulary (the run places its `vocabulary.txt` in the pretraining directory
first; a run that finds none chooses the same one from the same texts), so the pretrained embedding rows are the
classifier's token ids.

What is predicted depends on the encoder (`OBJECTIVES`):
- `lstm`: the next word from the forward LSTM's state and the previous word from the backward one
  (`LstmEncoderLm`); `pretrain.targets_per_text` of those positions per text.
- `transformer`: 15 % of each text's words, hidden (80 % of them replaced by the out-of-vocabulary token, 10 % by a
  random word, 10 % left as they are) and predicted from both sides (`TransformerEncoderMlm`).
Positions (and the Transformer's hidden words) are drawn anew in every epoch, from the epoch's seed, so a resumed
run draws what an uninterrupted one would have; the validation texts always get the same draw. A target of 0 is no
target (a text with fewer words than targets): the trainer does not score it.

The texts are held in memory as token ids (4 bytes per id: 100,000 texts of 64 words are 26 MB).
"""

from __future__ import annotations

import math
import os

import numpy as np
import tensorflow as tf

from tfmodels import data as data_lib
from tfmodels.config import DataConfig, ExperimentConfig
from tfmodels.data.data_error import DataError
from tfmodels.preprocessing.text_vectorizer import VOCABULARY_FILE, load_vectorizer, token_ids
from tfmodels.training.classification_data import classification_data
from tfmodels.training.task_data import TaskData

# Share of a text's words the Transformer hides and predicts (BERT's).
MASKED_SHARE = 0.15
OBJECTIVES = {"lstm": "next and previous word", "transformer": "masked words"}
_OUT_OF_VOCABULARY = 1
_TOKENIZE_BATCH = 1024


def pretraining_data(config: ExperimentConfig, model_dir: str, write_dir: str) -> TaskData:
  """The texts of `config.data.dataset` (and `config.pretrain.corpus`) as inputs and word targets of the encoder
  `config.model.name`.

  Raises:
    DataError: the data set holds no texts, or too few words to predict.
  """
  labelled = classification_data(config, model_dir, write_dir)
  if labelled.kind != "text":
    raise DataError(f"'{config.data.dataset}' holds {labelled.kind}s: pretraining reads texts.")
  length = labelled.model_args["sequence_length"]
  vocab_size = labelled.model_args["vocab_size"]
  pretrain = config.pretrain
  ids = {split: _split_ids(labelled, split, pretrain.max_texts) for split in ("train", "validation")}
  corpus_pieces = 0
  if pretrain.corpus and len(ids["train"]) < pretrain.max_texts:
    vectorizer = load_vectorizer(os.path.join(write_dir, VOCABULARY_FILE), length)  # saved by classification_data
    pieces = _corpus_ids(pretrain.corpus, config.data, vectorizer, length, pretrain.max_texts - len(ids["train"]))
    corpus_pieces = len(pieces)
    ids["train"] = np.concatenate([ids["train"], pieces])
  ids = {split: _with_words(values, config.model.name) for split, values in ids.items()}
  for split, values in ids.items():
    if not len(values):
      raise DataError(f"The {split} texts of '{config.data.dataset}' hold no text of two or more known words: "
                      "nothing to pretrain on. Use --pretrain=off, or name more text (--pretrain_corpus).")
  ids["test"] = ids["validation"]
  if config.model.name == "lstm":
    directions = 2 if config.model.lstm.bidirectional else 1
    num_targets = min(pretrain.targets_per_text, directions * (length - 1))
    draw = lambda values, rng: next_word_targets(values, rng, num_targets, directions)
  else:
    num_targets = max(1, math.ceil(MASKED_SHARE * length))
    draw = lambda values, rng: masked_word_targets(values, rng, num_targets, vocab_size)

  def reader(split: str, shuffle_seed: int | None, input_context):
    del input_context  # one in-memory "file": a cluster's pipelines share it by example
    rng = np.random.default_rng([shuffle_seed if shuffle_seed is not None else 0, len(split)])
    values = ids[split]
    if shuffle_seed is not None:
      values = values[rng.permutation(len(values))]
    inputs, positions, targets = draw(values, rng)
    return tf.data.Dataset.from_tensor_slices(((inputs, positions), targets))

  objective = OBJECTIVES[config.model.name]
  return TaskData(
      kind="pretrain",
      reader=reader,
      num_files={split: 1 for split in ids},
      input_bytes=4 * length + 8 * num_targets,
      cache_budget_bytes=0,  # every epoch draws its own targets
      num_examples={split: len(values) for split, values in ids.items()},
      model_args={"num_classes": vocab_size, "feature_shape": (length,), "vocab_size": vocab_size,
                  "sequence_length": length, "num_targets": num_targets},
      description={"name": labelled.description["name"], "kind": "pretrain", "objective": objective,
                   "feature_shape": [length], "label_names": [], "corpus": pretrain.corpus,
                   "corpus_pieces": corpus_pieces, "num_examples": {split: len(ids[split]) for split in ids}},
      test_figures=lambda loss: {"split": "validation", "objective": objective, "perplexity": math.exp(loss)})


def next_word_targets(ids: np.ndarray, rng: np.random.Generator, num_targets: int, directions: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """`(ids, positions, targets)` for `LstmEncoderLm`: `num_targets` positions per text drawn among those with a word
  to predict: forward position `p` (`0 <= p < n - 1` for a text of `n` words) predicts word `p + 1`; with two
  directions, backward position `L + q` (`1 <= q < n`) predicts word `q - 1`. A text with fewer such positions gets
  target 0 (none) at the rest."""
  count, length = ids.shape
  words = (ids > 0).sum(axis=1)  # texts are padded at the end
  index = np.arange(length)[None, :]
  forward_ok = index < (words[:, None] - 1)
  candidates = [forward_ok]
  nexts = np.zeros_like(ids)
  nexts[:, :-1] = ids[:, 1:]
  targets_by_position = [nexts]
  if directions == 2:
    candidates.append((index >= 1) & (index < words[:, None]))
    previous = np.zeros_like(ids)
    previous[:, 1:] = ids[:, :-1]
    targets_by_position.append(previous)
  valid = np.concatenate(candidates, axis=1)  # (count, directions * length)
  all_targets = np.concatenate(targets_by_position, axis=1)
  positions, chosen_ok = _draw_positions(valid, rng, num_targets)
  targets = np.where(chosen_ok, np.take_along_axis(all_targets, positions, axis=1), 0)
  return ids.astype(np.int32), positions.astype(np.int32), targets.astype(np.int64)


def masked_word_targets(ids: np.ndarray, rng: np.random.Generator, num_targets: int, vocab_size: int
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """`(hidden ids, positions, targets)` for `TransformerEncoderMlm`: `ceil(15 % of n)` (at most `num_targets`) of
  each text's `n` words are drawn; 80 % of them become the out-of-vocabulary token, 10 % a random word, 10 % stay;
  the targets are the original words (0 = none)."""
  words = (ids > 0).sum(axis=1)
  per_text = np.minimum(np.maximum(1, np.ceil(MASKED_SHARE * words)), num_targets).astype(np.int64)
  positions, chosen_ok = _draw_positions(ids > 0, rng, num_targets)
  chosen_ok &= np.arange(num_targets)[None, :] < per_text[:, None]
  targets = np.where(chosen_ok, np.take_along_axis(ids, positions, axis=1), 0)
  hidden = ids.copy()
  roll = rng.random(positions.shape)
  rows = np.broadcast_to(np.arange(len(ids))[:, None], positions.shape)
  as_unknown = chosen_ok & (roll < 0.8)
  as_random = chosen_ok & (roll >= 0.8) & (roll < 0.9)
  hidden[rows[as_unknown], positions[as_unknown]] = _OUT_OF_VOCABULARY
  hidden[rows[as_random], positions[as_random]] = rng.integers(2, max(vocab_size, 3), int(as_random.sum()))
  return hidden.astype(np.int32), positions.astype(np.int32), targets.astype(np.int64)


def _draw_positions(valid: np.ndarray, rng: np.random.Generator, num_targets: int) -> tuple[np.ndarray, np.ndarray]:
  """`num_targets` distinct positions per row, drawn uniformly among its valid ones first; returns the positions and
  whether each is valid (rows with fewer valid positions fill up with invalid ones)."""
  scores = rng.random(valid.shape) + valid  # valid positions score in [1, 2), the others in [0, 1)
  positions = np.argsort(-scores, axis=1, kind="stable")[:, :num_targets]
  return positions, np.take_along_axis(valid, positions, axis=1)


def _split_ids(labelled: TaskData, split: str, limit: int) -> np.ndarray:
  batches = [inputs for inputs, _ in labelled.dataset(split).take(limit).batch(_TOKENIZE_BATCH).as_numpy_iterator()]
  length = labelled.model_args["sequence_length"]
  return np.concatenate(batches) if batches else np.zeros((0, length), np.int32)


def _corpus_ids(corpus_name: str, data: DataConfig, vectorizer, length: int, limit: int) -> np.ndarray:
  """Pieces of `length` words cut from every block of the corpus, tokenized; at most `limit`."""
  corpus = data_lib.load_corpus(DataConfig(dataset=corpus_name, data_dir=data.data_dir, manual_dir=data.manual_dir))
  pieces: list[str] = []
  for split in data_lib.SPLIT_NAMES:
    for text in corpus.texts(split):
      words = text.split()
      pieces.extend(" ".join(words[start:start + length]) for start in range(0, len(words), length))
      if len(pieces) >= limit:
        break
    if len(pieces) >= limit:
      break
  pieces = pieces[:limit]
  if not pieces:
    raise DataError(f"The pretraining corpus '{corpus_name}' holds no words.")
  batches = [token_ids(vectorizer, tf.constant(pieces[start:start + _TOKENIZE_BATCH])).numpy()
             for start in range(0, len(pieces), _TOKENIZE_BATCH)]
  return np.concatenate(batches)


def _with_words(ids: np.ndarray, model_name: str) -> np.ndarray:
  """The texts with something to predict: two words for a language model, one for masked words."""
  return ids[(ids > 0).sum(axis=1) >= (2 if model_name == "lstm" else 1)]
