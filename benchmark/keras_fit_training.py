"""A plain Keras `fit` on in-memory arrays, the reference of the project's training path (a worker task)."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time

import keras
import numpy as np

from tfmodels.models import build_model
from tfmodels.training.classification_data import classification_data
from tfmodels.training.experiment import config_from_flags


class _EpochTimer(keras.callbacks.Callback):
  """Times the epoch of a `fit` call (the loop over the batches, as Keras times its own epochs)."""

  def __init__(self):
    super().__init__()
    self.seconds = 0.0
    self._start = 0.0

  def on_epoch_begin(self, epoch, logs=None):
    self._start = time.perf_counter()

  def on_epoch_end(self, epoch, logs=None):
    self.seconds = time.perf_counter() - self._start


class KerasFitTraining:
  """Trains the same model on the same examples with `model.compile` + `model.fit` on numpy arrays.

  The model comes from the project's `build_model` with the same configuration, the examples are the first
  `steps * batch_size` training examples, prepared by the project's `classification_data` and then held as numpy
  arrays; Adam with the configured learning rate, sparse cross-entropy on logits and an accuracy metric (the
  project's loop computes loss and accuracy too). One `run()` is one `fit` epoch of `steps` batches, timed from the
  epoch's start to its end.

  Args:
    model: architecture name.
    dataset: data set name.
    batch_size: global batch size.
    steps: training steps per run.
    params: configuration overrides (`path=value,...`).
    warmup_runs: untimed epochs before the first timed one.
    seed: weights and shuffling seed.
    save_arrays: also write the examples to this `.npz` file (`features`, `labels`) for a reference outside
      TensorFlow.
  """

  def __init__(self, model: str, dataset: str, batch_size: int, steps: int, params: str = "", warmup_runs: int = 1,
               seed: int = 42, save_arrays: str = ""):
    config = config_from_flags(model=model, dataset=dataset, batch_size=batch_size, strategy="default",
                               mixed_precision="off", seed=seed, params=params)
    keras.utils.set_random_seed(seed)
    work_dir = tempfile.mkdtemp(prefix="benchmark-fit-")
    try:
      data = classification_data(config, work_dir, work_dir)
    finally:
      shutil.rmtree(work_dir, ignore_errors=True)
    self.examples = steps * batch_size
    features, labels = data.splits["train"].take(self.examples).batch(self.examples).get_single_element()
    self.features, self.labels = features.numpy(), labels.numpy()
    if len(self.labels) < self.examples:
      raise ValueError(f"{steps} steps of {batch_size} need {self.examples} training examples; {dataset} has "
                       f"{len(self.labels)}.")
    if save_arrays:
      np.savez(save_arrays, features=self.features, labels=self.labels)
    self.batch_size = batch_size
    self.model = build_model(config.model, **data.model_args)
    self.model.compile(optimizer=keras.optimizers.Adam(config.trainer.learning_rate),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    self.timer = _EpochTimer()
    self.info = {"parameters": int(self.model.count_params()), "examples_per_run": self.examples,
                 "num_classes": int(data.model_args["num_classes"]), "learning_rate": config.trainer.learning_rate,
                 "cnn": dataclasses.asdict(config.model.cnn)}
    for _ in range(warmup_runs):
      self.run()

  def run(self) -> dict:
    """Fits one epoch; returns its examples per second and seconds."""
    history = self.model.fit(self.features, self.labels, batch_size=self.batch_size, epochs=1, shuffle=True,
                             verbose=0, callbacks=[self.timer])
    return {"examples_per_second": self.examples / self.timer.seconds, "seconds": self.timer.seconds,
            "loss": float(history.history["loss"][-1])}
