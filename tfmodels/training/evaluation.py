"""Evaluation of a trained model directory on a split.

A classifier: accuracy, loss, per-class figures and a confusion matrix. A language model: perplexity per character,
the Kneser-Ney bigram reference on the same windows, next-character accuracy, and perplexity by position in the
window.
"""

from __future__ import annotations

from collections.abc import Callable
import json
import math
import os

import numpy as np
import tensorflow as tf

from tfmodels import data as data_lib
from tfmodels.atomic_files import write_json
from tfmodels.training.history_plot import save_figure
from tfmodels.training.language_model_data import bigram_reference_perplexity
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact
from tfmodels.training.writable_directory import check_writable_dir

# The figures `evaluate_artifact` logs as JSON before writing them all.
SUMMARY = ("model", "dataset", "split", "accuracy", "loss", "num_examples")
LANGUAGE_MODEL_SUMMARY = ("model", "dataset", "split", "perplexity", "bigram_perplexity", "perplexity_over_bigram",
                          "accuracy", "loss", "num_examples", "num_tokens")


def evaluate_artifact(artifact: ModelArtifact, dataset_name: str = "", split: str = "test",
                      output_dir: str = "", batch_size: int = 256,
                      log: Callable[[str], None] = lambda line: None) -> dict:
  """Runs the model of `artifact` on `split` of its data set (or `dataset_name`, which must have the same labels).

  Logs the `SUMMARY` figures as JSON, then writes `evaluation_<split>.json` and `confusion_matrix_<split>.png` into
  `output_dir` (default: the model directory) and returns the figures. A language model is scored on the windows
  of its corpus instead (`evaluate_language_model`).

  Raises:
    ArtifactError: the figures cannot be written (they have been logged).
  """
  if artifact.kind == "corpus":
    return evaluate_language_model(artifact, dataset_name, split, output_dir, batch_size, log)
  dataset = artifact.load_dataset(dataset_name)
  if split not in dataset.splits:
    raise data_lib.DataError(f"Data set '{dataset.name}' has no '{split}' split; use one of {sorted(dataset.splits)}.")
  model = artifact.load_model()
  preprocess = artifact.preprocessor()
  logits, labels = [], []
  for features, batch_labels in dataset.splits[split].batch(batch_size):
    logits.append(model(preprocess(features), training=False).numpy())
    labels.append(batch_labels.numpy())
  logits, labels = np.concatenate(logits), np.concatenate(labels)
  figures = classification_figures(logits, labels, artifact.label_names)
  figures.update({"dataset": dataset.name, "split": split, "model": artifact.model_name})
  title = f"{artifact.model_name} on {dataset.name} ({split}): accuracy {figures['accuracy']:.4f}"
  _publish(figures, SUMMARY, output_dir or artifact.model_dir, bool(output_dir), log, lambda target: (
      plot_confusion_matrix(np.array(figures["confusion_matrix"]), artifact.label_names,
                            os.path.join(target, f"confusion_matrix_{split}.png"), title=title)))
  return figures


def evaluate_language_model(artifact: ModelArtifact, dataset_name: str = "", split: str = "test",
                            output_dir: str = "", batch_size: int = 256,
                            log: Callable[[str], None] = lambda line: None) -> dict:
  """Scores the language model of `artifact` on every next-character position of the windows of `split` of its
  corpus (or of `dataset_name`, another corpus read with the model's vocabulary), as training scored its test split.

  Logs the `LANGUAGE_MODEL_SUMMARY` figures as JSON, then writes `evaluation_<split>.json` and
  `perplexity_by_position_<split>.png` into `output_dir` (default: the model directory) and returns the figures.

  Raises:
    DataError: the split has no window of the model's length.
    ArtifactError: the figures cannot be written (they have been logged).
  """
  if split not in data_lib.SPLIT_NAMES:
    raise data_lib.DataError(f"Unknown split '{split}'; use one of {', '.join(data_lib.SPLIT_NAMES)}.")
  corpus = data_lib.load_corpus(artifact.data_config(dataset_name))
  vocabulary = artifact.char_vocabulary()
  length = artifact.config.data.sequence_length
  if not corpus.num_windows(split, length):
    raise data_lib.DataError(f"The {split} split of '{corpus.name}' holds {corpus.num_characters[split]} characters, "
                             f"fewer than one window of {length + 1} for this model. Evaluate another split "
                             "(--split=...) or more text.")
  model = artifact.load_model()
  position_loss, position_correct, windows = np.zeros(length), np.zeros(length), 0
  for inputs, targets in corpus.windows(split, vocabulary, length).batch(batch_size):
    logits = tf.cast(model(inputs, training=False), tf.float32)  # (batch, seq, vocab)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits).numpy()  # (batch, seq)
    position_loss += loss.sum(axis=0)
    position_correct += (logits.numpy().argmax(axis=-1) == targets.numpy()).sum(axis=0)
    windows += int(inputs.shape[0])
  tokens = windows * length
  loss = float(position_loss.sum() / tokens)
  bigram = bigram_reference_perplexity(corpus, vocabulary, length, split)
  perplexity = math.exp(loss)
  by_position = np.exp(position_loss / windows)
  figures = {"model": artifact.model_name, "dataset": corpus.name, "split": split, "perplexity": perplexity,
             "bigram_perplexity": bigram, "perplexity_over_bigram": perplexity / bigram,
             "accuracy": float(position_correct.sum() / tokens), "loss": loss, "num_examples": windows,
             "num_tokens": tokens, "sequence_length": length,
             "perplexity_by_position": [float(value) for value in by_position],
             "accuracy_by_position": [float(value) for value in position_correct / windows]}
  title = (f"{artifact.model_name} on {corpus.name} ({split}): perplexity {perplexity:.3f}, bigram reference "
           f"{bigram:.3f}")
  _publish(figures, LANGUAGE_MODEL_SUMMARY, output_dir or artifact.model_dir, bool(output_dir), log, lambda target: (
      plot_perplexity_by_position(by_position, bigram, os.path.join(target, f"perplexity_by_position_{split}.png"),
                                  title=title)))
  return figures


def _publish(figures: dict, summary: tuple[str, ...], target: str, target_given: bool,
             log: Callable[[str], None], plot: Callable[[str], None]) -> None:
  """Logs the `summary` figures, then writes the plot and `evaluation_<split>.json` into `target`."""
  # Shown before anything is written, so that a directory that cannot be written loses none of the figures.
  log(json.dumps({key: figures[key] for key in summary}, indent=2))
  try:
    check_writable_dir(target, "output_dir")
    os.makedirs(target, exist_ok=True)
    plot(target)
    write_json(os.path.join(target, f"evaluation_{figures['split']}.json"), figures)
  except ArtifactError as error:
    default = "" if target_given else " (--output_dir defaults to the model directory)"
    raise ArtifactError(f"The figures above are not saved. {error}{default}") from None
  except OSError as error:  # e.g. the disk filled up while writing
    raise ArtifactError(f"The figures above are not saved: writing into {target} failed ({error.strerror or error}). "
                        "Free some space, or pass --output_dir=DIR, a directory you can write to.") from None


def classification_figures(logits: np.ndarray, labels: np.ndarray, label_names) -> dict:
  """Accuracy, mean cross-entropy, per-class precision/recall and the confusion matrix (rows = true class)."""
  predictions = logits.argmax(axis=-1)
  loss = float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits.astype(np.float32))))
  classes = len(label_names)
  matrix = np.zeros((classes, classes), dtype=np.int64)
  np.add.at(matrix, (labels, predictions), 1)
  per_class = {}
  for index, name in enumerate(label_names):
    predicted, actual = matrix[:, index].sum(), matrix[index].sum()
    per_class[name] = {"precision": float(matrix[index, index] / predicted) if predicted else 0.0,
                       "recall": float(matrix[index, index] / actual) if actual else 0.0, "support": int(actual)}
  return {"accuracy": float((predictions == labels).mean()), "loss": loss, "num_examples": int(labels.size),
          "per_class": per_class, "confusion_matrix": matrix.tolist()}


def plot_confusion_matrix(matrix: np.ndarray, label_names, path: str, title: str) -> None:
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  size = max(4.0, 0.6 * len(label_names) + 2)
  figure, axis = plt.subplots(figsize=(size + 1, size))
  image = axis.imshow(matrix, cmap="Blues")
  axis.set_xticks(range(len(label_names)), label_names, rotation=45, ha="right")
  axis.set_yticks(range(len(label_names)), label_names)
  axis.set_xlabel("predicted")
  axis.set_ylabel("true")
  threshold = matrix.max() / 2 if matrix.size else 0
  for (row, column), count in np.ndenumerate(matrix):
    axis.text(column, row, str(count), ha="center", va="center", fontsize=8,
              color="white" if count > threshold else "black")
  figure.colorbar(image, ax=axis)
  axis.set_title(title, fontsize=10)
  figure.tight_layout()
  save_figure(figure, path)


def plot_perplexity_by_position(by_position: np.ndarray, bigram: float, path: str, title: str) -> None:
  """Perplexity at each position of the window (1 = the model has seen one character), beside the bigram's."""
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  figure, axis = plt.subplots(figsize=(7, 4))
  positions = np.arange(1, len(by_position) + 1)
  axis.plot(positions, by_position, label="model")
  axis.axhline(bigram, color="grey", linestyle="--", label="bigram reference (all positions)")
  axis.set_xlabel("characters of context seen")
  axis.set_ylabel("perplexity of the next character")
  axis.set_yscale("log")
  axis.set_xlim(1, len(by_position))
  axis.legend()
  axis.set_title(title, fontsize=9)
  figure.tight_layout()
  save_figure(figure, path)
