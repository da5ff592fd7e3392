"""One custom tf.distribute training loop for every strategy, multi-worker included.

Keras 3 `fit` fails under MultiWorkerMirroredStrategy (keras#20585), so the loop is written the way Model Garden's
Orbit writes it: variables built under `strategy.scope()`, a distributed dataset, a `tf.function` step that calls
`strategy.run`, per-example losses averaged over the global batch, per-replica sums reduced with `strategy.reduce`.
Each epoch ends with a checkpoint (`tf.train.CheckpointManager`), so a killed run started again with the same command
resumes after the last completed epoch; each epoch's shuffle order depends only on the seed and the epoch number, so
a resumed run sees the batches an uninterrupted one would have seen.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging as logging_lib
import math
import os
import shutil
import sys
import tempfile
import time
from typing import Callable

from absl import logging
import keras
import numpy as np
import tensorflow as tf

from tfmodels.config import BUCKETS_FROM_DATA, ConfigError, ExperimentConfig
from tfmodels.models import build_model
from tfmodels.training import distribution
from tfmodels.training.augmentation import augmentation
from tfmodels.training.classification_data import classification_data
from tfmodels.training.language_model_data import language_model_data
from tfmodels.training.ngram_fit import fit_ngram_model
from tfmodels.training.plateau_schedule import PlateauSchedule, cuts_after
from tfmodels.training import pretraining
from tfmodels.training.pretraining_data import OBJECTIVES, pretraining_data
from tfmodels.training.model_artifact import CONFIG_FILE, ArtifactError, ModelArtifact, is_disk_full, read_json
from tfmodels.training.writable_directory import check_writable_dir
from tfmodels.training.task_data import TaskData
from tfmodels.user_error import UserError

BEST_WEIGHTS_FILE = "best.weights.h5"
# The most the training shuffle buffer may hold (besides its `data.shuffle_buffer` examples).
SHUFFLE_BUFFER_BYTES = 256 << 20
# Held (flock) by the training that writes a model directory; the kernel releases it when that process ends, however
# it ends, so a killed run never leaves a stale lock behind and the file's existence means nothing.
LOCK_FILE = ".train.lock"


class _RetracingNoise(logging_lib.Filter):
  """Drops TensorFlow's "N out of the last M calls to ... triggered tf.function retracing" warning: it counts the
  traces of every `_Steps` of the process together, and a run with pretraining makes three (the pretraining, the
  classifier and the one from scratch), each traced once per input shape, which is as it should be."""

  def filter(self, record: logging_lib.LogRecord) -> bool:
    return "triggered tf.function retracing" not in record.getMessage()


logging_lib.getLogger("tensorflow").addFilter(_RetracingNoise())


class TrainingError(UserError, RuntimeError):
  """Training cannot go on; the message names the cause and the way out."""


@dataclasses.dataclass
class EpochResult:
  epoch: int
  loss: float
  accuracy: float
  val_loss: float
  val_accuracy: float
  seconds: float
  examples_per_second: float


class Trainer:
  """Trains one experiment into `model_dir` and evaluates it on the test split.

  Args:
    config: the experiment (validated here).
    model_dir: where checkpoints, logs and the trained model go.
    strategy: a ready strategy; built from `config.runtime.strategy` when None.
    log: where progress lines go.
    final: this run's model is the result: a text classifier's n-gram model is fitted (`ngram_fit`) and the test
      figure compared with the linear reference; the runs a run makes of its own (pretraining, the one from scratch)
      leave both to their parent.
  """

  def __init__(self, config: ExperimentConfig, model_dir: str, strategy: tf.distribute.Strategy | None = None,
               log: Callable[[str], None] = print, final: bool = True):
    self.config = config.validate()
    self.final = final
    # What `run` ended with: the model (its best weights) and the history of its epochs. A parent run reads them
    # here, not from the files: in a cluster only the chief writes those.
    self.trained_model: keras.Model | None = None
    self.history: list[dict] = []
    self.model_dir = model_dir
    self.log = log
    self.strategy = strategy or distribution.build_strategy(config.runtime.strategy)
    self.is_chief = distribution.is_chief(self.strategy)
    # Non-chief workers write to a temporary directory that is removed at the end (Keras multi-worker rules).
    self.write_dir = model_dir if self.is_chief else tempfile.mkdtemp(prefix="tfmodels-worker-")
    self._plateau: PlateauSchedule | None = None  # the learning rate schedule, when `_optimizer` made a plateau one
    replicas = self.strategy.num_replicas_in_sync
    if config.trainer.batch_size % replicas:
      suggestion = replicas * max(1, round(config.trainer.batch_size / replicas))
      raise ConfigError(f"Global batch size {config.trainer.batch_size} does not divide across {replicas} replicas. "
                        f"Use a multiple of {replicas}, e.g. --batch_size={suggestion}.")

  def run(self) -> dict:
    """Trains (resuming if a checkpoint exists), writes the model directory, returns the test figures."""
    config = self.config
    previous_policy = keras.mixed_precision.global_policy()
    lock, created, lock_created = None, False, False
    try:
      self._check_model_dir()
      if self.config.pretrain.init_from and not self.config.pretrain.stage:
        self.config = pretraining.init_from_settings(self.config)  # the encoder's sequence length, if unset
      config = self.config  # with the settings a resumed run chose from its data
      if self.is_chief:
        # Taken before the data step, which already writes the vocabulary into the directory.
        created = not os.path.exists(self.model_dir)
        lock_created = not os.path.exists(os.path.join(self.model_dir, LOCK_FILE))
        lock = _lock_model_dir(self.model_dir)
      policy = distribution.set_precision_policy(config.runtime.mixed_precision)
      keras.utils.set_random_seed(config.runtime.seed)
      data = self._task_data(config)
      if data.chosen:  # recorded in config.json below, and read back there by a resumed run
        self.config = config = config.override(data.chosen).validate()
        self.log(f"Chosen from the data: {', '.join(f'{key}={value}' for key, value in data.chosen.items())}.")
      empty = [split for split in ("validation", "test") if not data.num_examples[split]]
      if empty:
        raise TrainingError(
            f"The {' and '.join(empty)} split{'s' if len(empty) > 1 else ''} of {config.data.dataset} "
            f"{'have' if len(empty) > 1 else 'has'} no examples: the best epoch is chosen on "
            "validation and the model is measured on test, so both need examples. Carve them with a fraction above "
            f"0 (now --params=data.validation_fraction={config.data.validation_fraction:g},data.test_fraction="
            f"{config.data.test_fraction:g}) or supply them (README, Data).")
      os.makedirs(self.write_dir, exist_ok=True)
      ModelArtifact.write_description(self.write_dir, config, data.description)
      created = lock_created = False  # the directory now describes this run: a later failure keeps it, to resume
      encoder_dir, encoder = self._pretrained_encoder() if pretraining.wants_pretraining(config) else (None, None)
      with self.strategy.scope():
        model = build_model(config.model, **data.model_args)
        if encoder is not None:
          pretraining.transfer_encoder(encoder, model, encoder_dir)
        optimizer = self._optimizer(policy, steps_per_epoch=math.ceil(data.num_examples["train"] /
                                                                      config.trainer.batch_size))
        optimizer.build(model.trainable_variables)
        epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        # Keras 3 layers held in lists, BatchNorm statistics and dropout seed states are invisible to TensorFlow's
        # object tracking, so the checkpoint names every variable of the model and the optimizer itself.
        checkpoint = tf.train.Checkpoint(model=_by_index(model.variables), optimizer=_by_index(optimizer.variables),
                                         epoch=epoch_var)
      manager = tf.train.CheckpointManager(checkpoint, os.path.join(self.write_dir, "checkpoints"),
                                           max_to_keep=config.trainer.checkpoint_max_to_keep)
      history = self._restore(checkpoint, epoch_var)
      self.log(f"Training {config.model.name} on {config.data.dataset} ({data.num_examples}) with "
               f"{type(self.strategy).__name__} x{self.strategy.num_replicas_in_sync}, policy {policy}, "
               f"{model.count_params():,} parameters.")
      steps = _Steps(model, optimizer, self.strategy, config.trainer.label_smoothing, config.runtime.jit_compile,
                     model.trainable_variables)
      # Gradual unfreezing: while the pretrained encoder is frozen, only the layers it did not give learn.
      frozen_steps = (steps.training_only(pretraining.head_variables(model))
                      if encoder_dir and config.pretrain.freeze_epochs else None)
      evaluation_batches = {split: self._batches(data, split, training=False) for split in ("validation", "test")}
      writer = tf.summary.create_file_writer(os.path.join(self.write_dir, "logs"))
      for epoch in range(int(epoch_var.numpy()) + 1, config.trainer.epochs + 1):
        if _stops_early(history, config.trainer):
          break
        self._set_plateau_scale(history)
        train = self._batches(data, "train", training=True, epoch=epoch)
        epoch_steps = frozen_steps if frozen_steps and epoch <= config.pretrain.freeze_epochs else steps
        result = self._train_epoch(epoch_steps, train, evaluation_batches["validation"], epoch,
                                   data.num_examples["train"])
        history.append(dataclasses.asdict(result))
        self._end_epoch(result, history, model, manager, epoch_var, writer)
      best_epoch = _best_epoch(history, config.trainer.best_metric)
      stopped_early = _stops_early(history, config.trainer)
      if stopped_early:
        self.log(f"Early stopping after epoch {history[-1]['epoch']}: the best validation {config.trainer.best_metric} "
                 f"came in epoch {best_epoch}, {config.trainer.patience} epochs before (trainer.patience); its "
                 "weights are kept.")
      model.load_weights(os.path.join(self.write_dir, BEST_WEIGHTS_FILE))
      choice = {}
      if encoder_dir:
        choice = {"mode": config.pretrain.mode, "encoder": encoder_dir, "corpus": config.pretrain.corpus,
                  "used": True}
        if pretraining.compares_with_scratch(config):
          history, stopped_early, choice = self._compare_with_scratch(model, history, stopped_early, choice)
        best_epoch = _best_epoch(history, config.trainer.best_metric)
      ngram_model = (fit_ngram_model(model, data.dataset("train"), data.dataset("validation"), self.log)
                     if self.final and getattr(model, "ngram_logits", None) is not None else None)
      test_loss, test_accuracy, count = steps.evaluate(evaluation_batches["test"])
      evaluation = {"accuracy": test_accuracy, "loss": test_loss, "num_examples": data.num_examples["test"],
                    "split": "test", "dataset": config.data.dataset, "model": config.model.name,
                    "best_epoch": best_epoch, "epochs_trained": len(history), "stopped_early": stopped_early,
                    "precision_policy": policy,
                    "weights_fingerprint": weights_fingerprint(model), **data.test_figures(test_loss)}
      if choice:
        evaluation["pretraining"] = choice
      if ngram_model:
        evaluation["ngram_model"] = ngram_model
      ModelArtifact.write_trained(self.write_dir, model, evaluation, history,
                                  columns=[field.name for field in dataclasses.fields(EpochResult)],
                                  title=f"{config.model.name} on {config.data.dataset}")
      self.trained_model, self.history = model, history
      if "baseline_accuracy" in evaluation and self.final:
        self._compare_with_baseline(test_accuracy, evaluation["baseline_accuracy"])
      extra = "".join(f", {key} {evaluation[key]:.3f}" for key in ("perplexity", "bigram_perplexity")
                      if key in evaluation)
      self.log(f"Test accuracy {test_accuracy:.4f}, loss {test_loss:.4f}{extra} on {data.num_examples['test']} "
               f"examples -> {self.model_dir} (weights fingerprint {evaluation['weights_fingerprint']!r})")
      return evaluation
    except (OSError, tf.errors.OpError) as error:
      if not is_disk_full(error):
        raise
      written = f" for {error.filename}" if getattr(error, "filename", None) else ""
      detail = f"{error.strerror}; " if getattr(error, "strerror", None) else ""
      raise TrainingError(
          f"No space left on the disk{written} ({detail}model directory {self.model_dir}). Free some space, or "
          "train into another --model_dir; started again with the same command, the run resumes after the last "
          "epoch whose checkpoint was written.") from None
    finally:
      keras.mixed_precision.set_global_policy(previous_policy)  # the policy is process-wide: leave it as found
      if not self.is_chief:
        shutil.rmtree(self.write_dir, ignore_errors=True)
      if created:  # refused before it described a run: what it holds (lock, vocabulary) is this run's alone
        shutil.rmtree(self.model_dir, ignore_errors=True)
      elif lock_created:  # refused in a directory that was there: leave it as it was found
        with contextlib.suppress(FileNotFoundError):
          os.remove(os.path.join(self.model_dir, LOCK_FILE))
      if lock is not None:
        lock.close()

  def _task_data(self, config: ExperimentConfig) -> TaskData:
    if config.pretrain.stage:
      return pretraining_data(config, self.model_dir, self.write_dir)
    if config.model.is_language_model:
      return language_model_data(config, self.model_dir, self.write_dir)
    return classification_data(config, self.model_dir, self.write_dir)

  def _sub_run(self, config: ExperimentConfig, directory: str, label: str) -> "Trainer":
    """A run of its own (checkpoints, resume, early stopping) in `directory`, on this run's strategy."""
    return Trainer(config, os.path.join(self.model_dir, directory), strategy=self.strategy,
                   log=lambda line: self.log(f"[{label}] {line}"), final=False)

  def _pretrained_encoder(self) -> tuple[str, keras.Model]:
    """The encoder this classifier starts from, and where it is: `pretrain.init_from`'s, or this run's own
    pretraining's, which runs here (a finished one is read back) with this run's vocabulary. The latter is the model
    the pretraining run ended with, not its file: in a cluster only the chief writes that."""
    config = self.config
    if config.pretrain.init_from:
      self.log(f"Starting from the pretrained encoder in {config.pretrain.init_from}.")
      return config.pretrain.init_from, pretraining.load_encoder(config.pretrain.init_from)
    stage = self._sub_run(pretraining.stage_config(config), pretraining.PRETRAINING_DIR, "pretraining")
    if self.is_chief:
      pretraining.copy_vocabulary(self.write_dir, stage.model_dir)
    self.log(f"Pretraining the {config.model.name} encoder on unlabelled text "
             f"({OBJECTIVES[config.model.name]}) into {stage.model_dir}.")
    stage.run()
    return stage.model_dir, stage.trained_model

  def _compare_with_scratch(self, model: keras.Model, history: list[dict], stopped_early: bool, choice: dict
                            ) -> tuple[list[dict], bool, dict]:
    """`auto`: trains the classifier from scratch as well, and keeps (loads into `model`) whichever of the two is
    better on validation; returns the kept run's history, whether it stopped early, and the choice."""
    metric = self.config.trainer.best_metric
    scratch = self._sub_run(pretraining.scratch_config(self.config), pretraining.FROM_SCRATCH_DIR,
                            "without pretraining")
    self.log(f"--pretrain=auto: training from scratch too, into {scratch.model_dir}, to compare on validation.")
    scratch.run()
    scratch_history = scratch.history
    figures = {"pretrained": _best_row(history, metric), "from_scratch": _best_row(scratch_history, metric)}
    used = _rank(figures["pretrained"], metric) >= _rank(figures["from_scratch"], metric)  # a tie keeps pretraining
    choice = {**choice, "used": used,
              "validation_accuracy": {name: row["val_accuracy"] for name, row in figures.items()},
              "validation_loss": {name: row["val_loss"] for name, row in figures.items()}}
    self.log(f"Validation {metric}: pretrained {figures['pretrained']['val_' + metric]:.4f}, from scratch "
             f"{figures['from_scratch']['val_' + metric]:.4f}: keeping the model "
             f"{'with' if used else 'without'} pretraining.")
    if used:
      return history, stopped_early, choice
    model.set_weights(scratch.trained_model.get_weights())
    return scratch_history, _stops_early(scratch_history, self.config.trainer), choice

  def _set_plateau_scale(self, history: list[dict]) -> None:
    """Sets the plateau schedule's scale for the next epoch from the history (so a resumed run sets the same)."""
    schedule = self._plateau
    if schedule is not None:
      trainer = self.config.trainer
      cuts = cuts_after(history, trainer.best_metric, trainer.plateau_patience)
      scale = trainer.plateau_factor ** cuts
      if cuts and cuts != cuts_after(history[:-1], trainer.best_metric, trainer.plateau_patience):
        self.log(f"Learning rate {trainer.learning_rate * scale:.3g}: validation {trainer.best_metric} has not "
                 f"improved for {trainer.plateau_patience} epochs (cut {cuts}, x{trainer.plateau_factor:g} each).")
      schedule.scale.assign(scale)

  def _compare_with_baseline(self, accuracy: float, baseline: float) -> None:
    below = accuracy < baseline
    self.log(f"TF-IDF + logistic-regression reference on the same split: test accuracy {baseline:.4f} "
             f"(evaluation.json baseline_accuracy); this model is {'below' if below else 'at or above'} it "
             f"({accuracy - baseline:+.4f}).")
    if below:
      name = self.config.model.name
      wide = ("" if getattr(self.config.model.architecture, "ngram_buckets", 0) else
              f"a linear n-gram model beside the network (--params=model.{name}.ngram_buckets=-1); ")
      self.log(f"The model is worse than the linear reference. What may help: {wide}more labelled examples; the "
               "other text model (--model=lstm or --model=transformer); a longer run (--epochs, or "
               "--params=trainer.patience=N); a vocabulary of rarer words (--params=data.min_token_count=1).")

  def _check_model_dir(self) -> None:
    if self.is_chief:
      check_writable_dir(self.model_dir, "model_dir")
    if self.config.data.data_dir:  # every worker fills its data cache there before training
      check_writable_dir(self.config.data.data_dir, "data_dir")
    path = os.path.join(self.model_dir, CONFIG_FILE)
    if not os.path.exists(path):
      return
    previous = ExperimentConfig.from_dict(read_json(path))
    # Settings chosen from the data when the run began: the same again.
    chosen = {}
    if not self.config.data.sequence_length:
      chosen["data.sequence_length"] = str(previous.data.sequence_length)
    name = self.config.model.name
    if getattr(self.config.model.architecture, "ngram_buckets", 0) == BUCKETS_FROM_DATA:
      chosen[f"model.{name}.ngram_buckets"] = str(getattr(previous.model, name).ngram_buckets)
    self.config = self.config.override(chosen)
    # Where the cache lives, how big the shuffle buffer is and what is held in memory do not change what is learned.
    ignored = {"data_dir": "", "manual_dir": "", "shuffle_buffer": 0, "cache_budget_mb": 0}
    for part in ("model", "data", "pretrain"):
      before, now = getattr(previous, part), getattr(self.config, part)
      if part == "data":
        before, now = dataclasses.replace(before, **ignored), dataclasses.replace(now, **ignored)
      if before != now:
        raise ArtifactError(
            f"--model_dir={self.model_dir} holds a different run ({previous.model.name} on "
            f"{previous.data.dataset}, other {part} settings). Choose a new --model_dir, or delete this one to "
            "start over.")

  def _batches(self, data: TaskData, split: str, training: bool, epoch: int = 0):
    """One split, distributed: every input pipeline (one per worker) is made by `_input_pipeline`."""
    if distribution.num_workers(self.strategy) == 1:
      # One pipeline of global batches that the strategy splits between the local replicas: no replica is ever
      # handed an empty batch (a convolution over zero examples fails on TensorFlow's CPU kernels).
      return self.strategy.experimental_distribute_dataset(self._input_pipeline(
          data, split, training, epoch, tf.distribute.InputContext(num_replicas_in_sync=1)))
    return self.strategy.distribute_datasets_from_function(
        lambda context: self._input_pipeline(data, split, training, epoch, context))

  def _input_pipeline(self, data: TaskData, split: str, training: bool, epoch: int,
                      context: tf.distribute.InputContext) -> tf.data.Dataset:
    """Reads, shuffles (training), batches and prefetches one input pipeline's share of a split.

    In a cluster, each worker reads only its own record files of a streamed training split that has at least as many
    files as workers; as the workers' shares then differ a little in size, each repeats its share and takes the same
    number of full batches (ceil(examples / global batch)), so no replica ever waits for or is handed an empty
    batch. Otherwise (the split is held in memory, has too few files, or is an evaluation split) every worker reads
    the whole split in the same seeded order and keeps every n-th example after the shuffle, so the global batches
    are those one process would make.
    """
    config = self.config
    # A fixed order per epoch (seed + epoch) makes a resumed run identical to an uninterrupted one.
    seed = config.runtime.seed + epoch
    own_files = training and data.can_read_own_files(split, context)
    examples, decode = data.records(split, shuffle_seed=seed if training else None,
                                    input_context=context if own_files else None)
    if training:
      # The buffer holds examples (serialized or decoded, about the same bytes): large images get fewer of them, so
      # memory stays bounded.
      buffer = max(1, min(config.data.shuffle_buffer, SHUFFLE_BUFFER_BYTES // max(1, data.input_bytes)))
      examples = examples.shuffle(buffer, seed=seed, reshuffle_each_iteration=False)
    per_replica = context.get_per_replica_batch_size(config.trainer.batch_size)
    if own_files:
      steps = math.ceil(data.num_examples[split] / config.trainer.batch_size)
      batches = examples.repeat().batch(per_replica, drop_remainder=True).take(steps)
    else:
      if context.num_input_pipelines > 1:
        examples = examples.shard(context.num_input_pipelines, context.input_pipeline_id)
      batches = examples.batch(per_replica)
    if decode is not None:
      batches = batches.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    augment = augmentation(config.data, data.kind) if training else None
    if augment is not None:
      # Stateless, seeded by (seed + epoch, batch index): a resumed run augments exactly as the original would have.
      batches = batches.enumerate().map(
          lambda index, batch: (augment(batch[0], tf.stack([tf.constant(seed, tf.int64), index])), batch[1]),
          num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    # A cluster's pipelines shard themselves (above), so tf.distribute must not shard them again. One worker's
    # pipeline is not sharded either way; there the DATA policy makes tf.distribute split a short last batch evenly
    # across the local replicas ([6, 5], not [11, 0]).
    options.experimental_distribute.auto_shard_policy = (tf.data.experimental.AutoShardPolicy.OFF
                                                         if context.num_input_pipelines > 1
                                                         else tf.data.experimental.AutoShardPolicy.DATA)
    prefetch = tf.data.AUTOTUNE
    if not tf.config.list_logical_devices("GPU"):
      # On a CPU the step keeps every core busy, and tf.data's autotuning threads take their cycles from it (5-10 %
      # of the examples per second on 2 cores: tools/benchmark.py); two batches ahead keep the step fed.
      options.autotune.enabled = False
      prefetch = 2
    return batches.with_options(options).prefetch(prefetch)

  def _train_epoch(self, steps: "_Steps", train, validation, epoch: int, num_train: int) -> EpochResult:
    total_steps = math.ceil(num_train / self.config.trainer.batch_size)
    progress = keras.utils.Progbar(total_steps, stateful_metrics=["loss", "accuracy"]) if sys.stdout.isatty() else None
    if progress:
      print(f"Epoch {epoch}/{self.config.trainer.epochs}")
    start = time.perf_counter()
    loss_sum = correct = count = 0.0
    for step, (features, labels) in enumerate(train, start=1):
      batch_loss, batch_correct, batch_count = steps.train(features, labels)
      loss_sum += float(batch_loss)
      correct += float(batch_correct)
      count += float(batch_count)
      if progress:
        progress.update(step, [("loss", loss_sum / count), ("accuracy", correct / count)])
    seconds = time.perf_counter() - start
    loss = loss_sum / max(count, 1)
    if not math.isfinite(loss):
      raise TrainingError(
          f"The training loss became {loss} in epoch {epoch}. Lower the learning rate (now "
          f"{self.config.trainer.learning_rate}, e.g. --learning_rate={self.config.trainer.learning_rate / 10:g}) or "
          "clip gradients (--params=trainer.clipnorm=1.0). The checkpoints of earlier epochs are kept.")
    val_loss, val_accuracy, _ = steps.evaluate(validation)
    result = EpochResult(epoch=epoch, loss=loss, accuracy=correct / max(count, 1), val_loss=val_loss,
                         val_accuracy=val_accuracy, seconds=round(seconds, 3),
                         examples_per_second=round(count / seconds, 1))
    self.log(f"epoch {epoch}/{self.config.trainer.epochs}  loss {result.loss:.4f}  accuracy {result.accuracy:.4f}  "
             f"val_loss {val_loss:.4f}  val_accuracy {val_accuracy:.4f}  {seconds:.1f}s  "
             f"{result.examples_per_second:.0f} examples/s")
    return result

  def _end_epoch(self, result: EpochResult, history: list[dict], model: keras.Model,
                 manager: tf.train.CheckpointManager, epoch_var: tf.Variable, writer) -> None:
    with writer.as_default(step=result.epoch):
      for key in ("loss", "accuracy", "val_loss", "val_accuracy", "examples_per_second"):
        tf.summary.scalar(key, getattr(result, key))
    writer.flush()
    if _best_epoch(history, self.config.trainer.best_metric) == result.epoch:
      ModelArtifact.save_weights(model, os.path.join(self.write_dir, BEST_WEIGHTS_FILE))
    # The history is written before the checkpoint that makes this epoch count as done, so a resumed run always
    # finds the history of every completed epoch.
    ModelArtifact.write_history(self.write_dir, history)
    epoch_var.assign(result.epoch)
    manager.save(checkpoint_number=result.epoch)

  def _restore(self, checkpoint, epoch_var) -> list[dict]:
    # Every worker restores what the chief wrote (model_dir is shared storage in a multi-worker cluster), so all
    # replicas resume from the same epoch with the same weights.
    directory = os.path.join(self.model_dir, "checkpoints")
    state = tf.train.get_checkpoint_state(directory)
    if state is None or not state.all_model_checkpoint_paths:
      return []
    # Newest first: one cut short (a full disk, a copy broken off) gives way to the one before it, whose epochs
    # are then trained again.
    for latest in reversed(state.all_model_checkpoint_paths):
      try:
        checkpoint.restore(latest).expect_partial()
        break
      except (tf.errors.OpError, IndexError, ValueError) as error:  # what a truncated .index or .data file raises
        logging.warning("Checkpoint %s cannot be read (%s: %s); falling back to the one before it.", latest,
                        type(error).__name__, str(error).strip().splitlines()[0] if str(error).strip() else "")
    else:
      raise TrainingError(
          f"No checkpoint in {directory} can be read: they are truncated or damaged. Delete that folder to train "
          "from the first epoch again, or train into a new --model_dir.")
    completed = int(epoch_var.numpy())
    history = ModelArtifact.read_history(self.model_dir)
    self.log(f"Resuming after epoch {completed} from {latest}.")
    return [entry for entry in history if entry["epoch"] <= completed]

  def _optimizer(self, policy: str, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    trainer = self.config.trainer
    learning_rate = trainer.learning_rate
    if trainer.lr_schedule == "cosine":
      warmup_steps = trainer.warmup_epochs * steps_per_epoch
      learning_rate = keras.optimizers.schedules.CosineDecay(
          initial_learning_rate=0.0 if warmup_steps else trainer.learning_rate,
          decay_steps=trainer.epochs * steps_per_epoch - warmup_steps,
          warmup_target=trainer.learning_rate if warmup_steps else None, warmup_steps=warmup_steps)
    elif trainer.lr_schedule == "plateau":
      learning_rate = self._plateau = PlateauSchedule(trainer.learning_rate,
                                                      warmup_steps=trainer.warmup_epochs * steps_per_epoch)
    kwargs = {"learning_rate": learning_rate}
    if trainer.clipnorm:
      kwargs["global_clipnorm"] = trainer.clipnorm
    if trainer.weight_decay:
      optimizer = keras.optimizers.AdamW(weight_decay=trainer.weight_decay, **kwargs)
    else:
      optimizer = keras.optimizers.Adam(**kwargs)
    if policy == "mixed_float16":  # float16 gradients underflow without loss scaling; bfloat16 needs none.
      optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer



class _Steps:
  """The compiled train and evaluation steps of one model under one strategy, training `variables`.

  Targets per position (a language model's, a pretraining's) of 0 are none: they are neither scored nor learned
  from (a character language model never has one; a pretraining text shorter than its targets has).
  """

  def __init__(self, model, optimizer, strategy, label_smoothing: float, jit_compile: bool, variables: list):
    self.model = model
    self.variables = variables
    self.optimizer = optimizer
    self.strategy = strategy
    self.label_smoothing = label_smoothing
    self.jit_compile = jit_compile
    self._train = tf.function(self._train_replicas, jit_compile=jit_compile or None, reduce_retracing=True)
    self._evaluate = tf.function(self._evaluate_replicas, reduce_retracing=True)

  def training_only(self, variables: list) -> "_Steps":
    """Steps that train only `variables` (the others stay as they are) and evaluate with this one's function."""
    steps = _Steps(self.model, self.optimizer, self.strategy, self.label_smoothing, self.jit_compile, variables)
    steps._evaluate = self._evaluate  # pylint: disable=protected-access  (one traced evaluation)
    return steps

  def _per_example_loss(self, labels, logits):
    logits = tf.cast(logits, tf.float32)
    if self.label_smoothing:
      one_hot = tf.one_hot(labels, tf.shape(logits)[-1])
      one_hot = one_hot * (1 - self.label_smoothing) + self.label_smoothing / tf.cast(tf.shape(logits)[-1], tf.float32)
      return tf.nn.softmax_cross_entropy_with_logits(one_hot, logits)
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)

  @staticmethod
  def _scored(labels) -> tf.Tensor:
    """1 where a target is scored, 0 where there is none (0 at a position of a per-position target)."""
    if labels.shape.rank > 1:
      return tf.cast(tf.not_equal(labels, 0), tf.float32)
    return tf.ones(tf.shape(labels), tf.float32)

  @classmethod
  def _figures(cls, labels, logits, per_example):
    scored = cls._scored(labels)
    correct = tf.cast(tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int64), tf.cast(labels, tf.int64)),
                      tf.float32)
    return tf.reduce_sum(per_example * scored), tf.reduce_sum(correct * scored), tf.reduce_sum(scored)

  def _train_replicas(self, features, labels):
    def step(features, labels):
      with tf.GradientTape() as tape:
        logits = self.model(features, training=True)  # (batch, classes), float32
        per_example = self._per_example_loss(labels, logits)  # (batch,) or, per position, (batch, seq)
        # An example's loss is the mean over its scored positions; the batch's is the mean over the global batch.
        figures = self._figures(labels, logits, per_example)
        if per_example.shape.rank > 1:
          scored = self._scored(labels)
          per_example = tf.math.divide_no_nan(tf.reduce_sum(per_example * scored, axis=1),
                                              tf.reduce_sum(scored, axis=1))
        loss = tf.nn.compute_average_loss(per_example)
        if self.model.losses:
          loss += tf.nn.scale_regularization_loss(tf.add_n(self.model.losses))
        scaled = self.optimizer.scale_loss(loss)
      gradients = tape.gradient(scaled, self.variables)
      self.optimizer.apply(gradients, self.variables)
      return figures
    figures = self.strategy.run(step, args=(features, labels))
    return [self.strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None) for value in figures]

  def _evaluate_replicas(self, features, labels):
    def step(features, labels):
      logits = self.model(features, training=False)
      return self._figures(labels, logits, self._per_example_loss(labels, logits))
    figures = self.strategy.run(step, args=(features, labels))
    return [self.strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None) for value in figures]

  def train(self, features, labels):
    return self._train(features, labels)

  def evaluate(self, batches) -> tuple[float, float, int]:
    """Returns (mean loss, accuracy, example count) over distributed `batches`."""
    loss_sum = correct = count = 0.0
    for features, labels in batches:
      batch_loss, batch_correct, batch_count = self._evaluate(features, labels)
      loss_sum += float(batch_loss)
      correct += float(batch_correct)
      count += float(batch_count)
    return loss_sum / max(count, 1), correct / max(count, 1), int(count)


def _by_index(variables) -> dict[str, tf.Variable]:
  """The TensorFlow variables behind Keras variables, keyed by position (stable for one architecture)."""
  return {f"{index:05d}": variable.value for index, variable in enumerate(variables)}


def weights_fingerprint(model: keras.Model) -> float:
  """A number that changes with any weight: lets the workers of a cluster (and runs) show they hold the same model."""
  total = 0.0
  for index, weights in enumerate(model.get_weights()):
    flat = np.asarray(weights, np.float64).ravel()
    total += float(np.dot(flat, np.arange(1, flat.size + 1) % 97 + index + 1))
  return total


def _stops_early(history: list[dict], trainer_config) -> bool:
  """Whether early stopping ends the run after `history`: its best epoch is `patience` epochs behind the last."""
  if not trainer_config.patience or not history:
    return False
  return history[-1]["epoch"] - _best_epoch(history, trainer_config.best_metric) >= trainer_config.patience


def _rank(row: dict, metric: str) -> tuple[float, ...]:
  """How good an epoch is on validation by `metric`, larger = better. Ties in accuracy (common on small validation
  splits) go to the lower validation loss."""
  if metric == "loss":
    return (-row["val_loss"],)
  return (row["val_accuracy"], -row["val_loss"])


def _best_row(history: list[dict], metric: str) -> dict:
  """The best epoch by `metric` (`_rank`); the earliest of equals."""
  return max(history, key=lambda row: (*_rank(row, metric), -row["epoch"]))


def _best_epoch(history: list[dict], metric: str) -> int:
  return _best_row(history, metric)["epoch"] if history else 0


def _lock_model_dir(model_dir: str):
  """Creates `model_dir` if needed and locks it for this process; returns the open lock file (closing releases it).

  Raises:
    TrainingError: another training holds the lock.
  """
  os.makedirs(model_dir, exist_ok=True)
  path = os.path.join(model_dir, LOCK_FILE)
  lock = open(path, "a", encoding="utf-8")  # pylint: disable=consider-using-with  (held for the whole run)
  try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
  except BlockingIOError:
    lock.close()
    raise TrainingError(f"Another training is writing to --model_dir={model_dir} (it holds {path}). Wait until it "
                        "ends (started again with the same command, a run resumes where it stopped), or train into "
                        "another --model_dir.") from None
  return lock



