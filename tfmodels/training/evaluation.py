"""Evaluation of a trained model directory on a split: accuracy, loss, per-class figures and a confusion matrix."""

from __future__ import annotations

from collections.abc import Callable
import json
import os

import numpy as np
import tensorflow as tf

from tfmodels import data as data_lib
from tfmodels.training.history_plot import save_figure
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact, check_writable_dir, write_json

# The figures `evaluate_artifact` logs as JSON before writing them all.
SUMMARY = ("model", "dataset", "split", "accuracy", "loss", "num_examples")


def evaluate_artifact(artifact: ModelArtifact, dataset_name: str = "", split: str = "test",
                      output_dir: str = "", batch_size: int = 256,
                      log: Callable[[str], None] = lambda line: None) -> dict:
  """Runs the model of `artifact` on `split` of its data set (or `dataset_name`, which must have the same labels).

  Logs the `SUMMARY` figures as JSON, then writes `evaluation_<split>.json` and `confusion_matrix_<split>.png` into
  `output_dir` (default: the model directory) and returns the figures.

  Raises:
    ArtifactError: the figures cannot be written (they have been logged).
  """
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
  # Shown before anything is written, so that a directory that cannot be written loses none of the figures.
  log(json.dumps({key: figures[key] for key in SUMMARY}, indent=2))
  target = output_dir or artifact.model_dir
  try:
    check_writable_dir(target, "output_dir")
    os.makedirs(target, exist_ok=True)
    plot_confusion_matrix(np.array(figures["confusion_matrix"]), artifact.label_names,
                          os.path.join(target, f"confusion_matrix_{split}.png"),
                          title=f"{artifact.model_name} on {dataset.name} ({split}): accuracy {figures['accuracy']:.4f}")
    write_json(os.path.join(target, f"evaluation_{split}.json"), figures)
  except ArtifactError as error:
    default = "" if output_dir else " (--output_dir defaults to the model directory)"
    raise ArtifactError(f"The figures above are not saved. {error}{default}") from None
  except OSError as error:  # e.g. the disk filled up while writing
    raise ArtifactError(f"The figures above are not saved: writing into {target} failed ({error.strerror or error}). "
                        "Free some space, or pass --output_dir=DIR, a directory you can write to.") from None
  return figures


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
