"""Training curves as a PNG: loss and accuracy per epoch, training and validation."""

from __future__ import annotations

import matplotlib

from tfmodels.atomic_files import writing

matplotlib.use("Agg")  # Files only: no display is needed or wanted.
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top


def plot_history(history: list[dict], path: str, title: str) -> None:
  """Writes loss and accuracy curves of `history` (rows with epoch, loss, accuracy, val_loss, val_accuracy)."""
  epochs = [row["epoch"] for row in history]
  figure, axes = plt.subplots(1, 2, figsize=(10, 4))
  for axis, metric in zip(axes, ("loss", "accuracy")):
    axis.plot(epochs, [row[metric] for row in history], marker="o", label="training")
    axis.plot(epochs, [row[f"val_{metric}"] for row in history], marker="o", label="validation")
    axis.set_xlabel("epoch")
    axis.set_ylabel(metric)
    axis.grid(alpha=0.3)
    axis.legend()
  figure.suptitle(title)
  figure.tight_layout()
  save_figure(figure, path)


def save_figure(figure, path: str) -> None:
  """Saves a matplotlib figure atomically and closes it."""
  with writing(path) as temporary:
    figure.savefig(temporary, format="png", dpi=100)
  plt.close(figure)
