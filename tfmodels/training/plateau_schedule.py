"""A learning rate that warms up, then holds, and is cut whenever validation stops improving."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfmodels")
class PlateauSchedule(keras.optimizers.schedules.LearningRateSchedule):
  """`learning_rate`, reached linearly over `warmup_steps`, times a scale the trainer sets before each epoch.

  The scale is `factor ** cuts`, where `cuts` counts the times validation had not improved for `patience` epochs
  (`cuts_after`). It is computed from the run's history, which a resumed run reads back, so a resumed run follows the
  same rates as an uninterrupted one.

  Args:
    learning_rate: the rate after warm-up, before any cut.
    warmup_steps: steps of linear warm-up from 0 (0 = none).
  """

  def __init__(self, learning_rate: float, warmup_steps: int = 0):
    self.learning_rate = learning_rate
    self.warmup_steps = warmup_steps
    self.scale = tf.Variable(1.0, dtype=tf.float32, trainable=False, name="learning_rate_scale")

  def __call__(self, step):
    step = tf.cast(step, tf.float32)
    warmup = tf.minimum(1.0, (step + 1.0) / self.warmup_steps) if self.warmup_steps else 1.0
    return self.learning_rate * warmup * self.scale

  def get_config(self):
    return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps}


def cuts_after(history: list[dict], metric: str, patience: int) -> int:
  """How many times the rate has been cut after the epochs of `history` (rows with `epoch` and `val_<metric>`): once
  each time the best validation `metric` (highest accuracy, or lowest loss) is `patience` epochs behind both the
  latest improvement and the latest cut."""
  cuts, best, best_epoch, last_change = 0, None, 0, 0
  for row in history:
    value = row[f"val_{metric}"]
    if best is None or (value > best if metric == "accuracy" else value < best):
      best, best_epoch = value, row["epoch"]
    if row["epoch"] - max(best_epoch, last_change) >= patience:
      cuts, last_change = cuts + 1, row["epoch"]
  return cuts
