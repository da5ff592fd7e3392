"""The project's training path, timed over a fixed number of steps (a worker task)."""

from __future__ import annotations

import shutil
import tempfile
import time

import keras
import tensorflow as tf

from tfmodels.models import build_model
from tfmodels.training import trainer as trainer_lib
from tfmodels.training.classification_data import classification_data
from tfmodels.training.task_data import TaskData
from tfmodels.training.experiment import config_from_flags

INPUTS = ("prepared", "pipeline", "cached")


class ProjectTraining:
  """Trains with the project's own loop: `classification_data` -> `Trainer` batches -> `Trainer` epoch loop.

  One `run()` is one epoch of `steps` batches of the training split (its first `steps * batch_size` examples),
  through the trainer's own epoch loop (`Trainer._train_epoch`, which times itself, excluding validation) and its
  compiled step (`_Steps`): exactly what `tools/train.py` runs, minus checkpoints and logs.

  The input of each run, by `inputs`:
    prepared  the trainer's pipeline as it is from the second epoch on: the split prepared (and cached) by
              `classification_data`, then shuffled, batched and prefetched per epoch (`Trainer._batches`).
    pipeline  the whole pipeline built afresh for every run, so each run also tokenizes (text) and fills the cache:
              what the first epoch of a training run pays.
    cached    the same batches, made once before timing and kept as tensors in memory: no tf.data at all.

  Args:
    model: architecture name.
    dataset: data set name.
    batch_size: global batch size.
    steps: training steps per run.
    params: configuration overrides (`path=value,...`), as `--params`.
    inputs: `prepared`, `pipeline` or `cached`.
    warmup_runs: untimed runs before the first timed one (the first traces the step).
    seed: weights and shuffling seed.
  """

  def __init__(self, model: str, dataset: str, batch_size: int, steps: int, params: str = "",
               inputs: str = "prepared", warmup_runs: int = 1, seed: int = 42):
    if inputs not in INPUTS:
      raise ValueError(f"Unknown inputs '{inputs}': expected one of {', '.join(INPUTS)}.")
    self.config = config_from_flags(model=model, dataset=dataset, batch_size=batch_size, strategy="default",
                                    mixed_precision="off", seed=seed, params=params)
    self.inputs = inputs
    self.work_dir = tempfile.mkdtemp(prefix="benchmark-training-")
    keras.utils.set_random_seed(seed)
    # The trainer's internals are used on purpose: this is the code path `Trainer.run` takes for every epoch.
    self.trainer = trainer_lib.Trainer(self.config, self.work_dir, log=lambda line: None)
    data = self._data()
    self.examples = steps * batch_size
    if data.num_examples["train"] < self.examples:
      raise ValueError(f"{steps} steps of {batch_size} need {self.examples} training examples; {dataset} has "
                       f"{data.num_examples['train']}.")
    with self.trainer.strategy.scope():
      network = build_model(self.config.model, **data.model_args)
      optimizer = self.trainer._optimizer("float32", steps_per_epoch=steps)  # pylint: disable=protected-access
      optimizer.build(network.trainable_variables)
    self.steps = trainer_lib._Steps(network, optimizer, self.trainer.strategy,  # pylint: disable=protected-access
                                    self.config.trainer.label_smoothing, self.config.runtime.jit_compile,
                                    network.trainable_variables)
    self.parameters = int(network.count_params())
    self.validation = self._batches(data, "validation", batch_size, training=False)
    for _ in data.splits["train"].batch(4096):  # one pass fills the cache, as the first epoch of a training run does
      pass
    self.data = data
    self.cached = list(self._batches(data, "train", self.examples, training=True)) if inputs == "cached" else None
    self.epoch = 0
    self.info = {"parameters": self.parameters, "examples_per_run": self.examples, "inputs": inputs,
                 "strategy": type(self.trainer.strategy).__name__}
    for _ in range(warmup_runs):
      self.run()

  def run(self) -> dict:
    """Trains one epoch of `steps` batches; returns its examples per second and seconds."""
    self.epoch += 1
    if self.inputs == "cached":
      batches = self.cached
    else:
      data = self._data() if self.inputs == "pipeline" else self.data
      batches = self._batches(data, "train", self.examples, training=True, epoch=self.epoch)
    result = self.trainer._train_epoch(self.steps, batches, self.validation,  # pylint: disable=protected-access
                                       self.epoch, self.examples)
    return {"examples_per_second": result.examples_per_second, "seconds": result.seconds, "loss": result.loss}

  def first_batch_seconds(self) -> float:
    """Seconds from a freshly built pipeline to its first training batch (the wait before the first step of a
    training run's first epoch)."""
    data = self._data()
    start = time.perf_counter()
    next(iter(self._batches(data, "train", self.examples, training=True, epoch=0)))
    return time.perf_counter() - start

  def _data(self):
    # The vocabulary is adapted once; later calls read it back from the work directory, as a resumed run does.
    return classification_data(self.config, self.work_dir, self.work_dir)

  def _batches(self, data: TaskData, split: str, count: int, training: bool, epoch: int = 1):
    # The trainer reads splits through a TaskData; this one hands it the first `count` records of `data`'s split, in
    # record order (from memory where `data` holds the split), and decodes them as `data` does.
    records, decode = data.records(split)
    examples = TaskData(kind="", num_examples={"train": count}, model_args={}, description={},
                        reader=lambda name, shuffle_seed, context: records.take(count),
                        decode=decode, num_files={"train": 1}, input_bytes=0, cache_budget_bytes=-1)
    return self.trainer._batches(examples, "train", training=training, epoch=epoch)  # pylint: disable=protected-access

  def close(self) -> None:
    """Removes the work directory."""
    shutil.rmtree(self.work_dir, ignore_errors=True)
