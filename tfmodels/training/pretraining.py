"""A text classifier started from an encoder pretrained on unlabelled text: the settings of the pretraining run,
the encoder read back, and its weights handed to the classifier.

A run with `pretrain.mode=on` or `auto` first trains its encoder as a word predictor (`LstmEncoderLm`,
`TransformerEncoderMlm`) into `<model_dir>/pretraining` through the same trainer (checkpoints, resume, early
stopping on the validation texts' loss); `pretrain.init_from` names such a directory of an earlier run instead. The
classifier then copies the encoder's weights, trains its output layer alone for `pretrain.freeze_epochs` epochs, and
then all of it (gradual unfreezing). With `auto`, a classifier trained from scratch into
`<model_dir>/without_pretraining` is compared with the fine-tuned one on validation, and the better one is kept.
"""

from __future__ import annotations

import os

import keras
import numpy as np

from tfmodels.atomic_files import write_text
from tfmodels.config import ConfigError, ExperimentConfig
from tfmodels.preprocessing.text_vectorizer import VOCABULARY_FILE
from tfmodels.training.model_artifact import CONFIG_FILE, MODEL_FILE, read_json

PRETRAINING_DIR = "pretraining"
FROM_SCRATCH_DIR = "without_pretraining"


def wants_pretraining(config: ExperimentConfig) -> bool:
  """Whether this classifier run starts from a pretrained encoder (one it pretrains, or `init_from`)."""
  return not config.pretrain.stage and (config.pretrain.mode != "off" or bool(config.pretrain.init_from))


def compares_with_scratch(config: ExperimentConfig) -> bool:
  """Whether the run also trains from scratch and keeps the better (`auto`, without a given encoder: one given by
  `init_from` brings its own vocabulary, which a run from scratch would not share)."""
  return wants_pretraining(config) and config.pretrain.mode == "auto" and not config.pretrain.init_from


def stage_config(config: ExperimentConfig) -> ExperimentConfig:
  """The configuration of the pretraining run of `config`'s classifier: its data and encoder settings, the
  pretraining's epochs, early stopping and learning rate, chosen by validation loss."""
  pretrain = config.pretrain
  return config.override({
      "pretrain.stage": "true", "pretrain.mode": "on", "pretrain.init_from": "",
      "trainer.epochs": str(pretrain.epochs), "trainer.patience": str(pretrain.patience),
      "trainer.learning_rate": str(pretrain.learning_rate), "trainer.best_metric": "loss",
      "trainer.lr_schedule": "constant", "trainer.warmup_epochs": "0", "trainer.label_smoothing": "0",
      "data.token_dropout": "0"}).validate()


def scratch_config(config: ExperimentConfig) -> ExperimentConfig:
  """The configuration of the same classifier trained without pretraining."""
  return config.override({"pretrain.mode": "off", "pretrain.corpus": "", "pretrain.init_from": ""}).validate()


def init_from_settings(config: ExperimentConfig) -> ExperimentConfig:
  """`config` with the sequence length of the encoder in `pretrain.init_from` when the data was to choose it, after
  checking that the directory holds a pretrained encoder of this architecture.

  Raises:
    ConfigError: the directory is missing or holds something else.
  """
  directory = config.pretrain.init_from
  previous = read_encoder_config(directory)
  if previous.model.name != config.model.name:
    raise ConfigError(f"--init_from={directory} holds a pretrained {previous.model.name} encoder, not a "
                      f"{config.model.name} one. Pretrain with --model={config.model.name}, or train "
                      f"--model={previous.model.name}.")
  if not config.data.sequence_length:
    config = config.override({"data.sequence_length": str(previous.data.sequence_length)})
  return config


def read_encoder_config(directory: str) -> ExperimentConfig:
  """The configuration of the pretraining run in `directory`; raises `ConfigError` when it holds none."""
  path = os.path.join(directory, CONFIG_FILE)
  if not os.path.isdir(directory):
    raise ConfigError(f"--init_from={directory} does not exist. Give the pretraining directory of an earlier run "
                      f"(<model_dir>/{PRETRAINING_DIR}, written by a run with --pretrain=on or auto).")
  missing = [name for name in (CONFIG_FILE, MODEL_FILE, VOCABULARY_FILE)
             if not os.path.exists(os.path.join(directory, name))]
  if missing:
    raise ConfigError(f"--init_from={directory} holds no finished pretraining ({', '.join(missing)} missing). Give "
                      f"<model_dir>/{PRETRAINING_DIR} of a run that has ended.")
  config = ExperimentConfig.from_dict(read_json(path))
  if not config.pretrain.stage:
    raise ConfigError(f"--init_from={directory} holds a trained {config.model.name} classifier, not a pretrained "
                      f"encoder. Give its {PRETRAINING_DIR} folder (<model_dir>/{PRETRAINING_DIR}).")
  return config


def copy_vocabulary(source_dir: str, target_dir: str) -> None:
  """Places `source_dir`'s vocabulary in `target_dir` unless one is there (a resumed run keeps its own)."""
  target = os.path.join(target_dir, VOCABULARY_FILE)
  if not os.path.exists(target):
    os.makedirs(target_dir, exist_ok=True)
    with open(os.path.join(source_dir, VOCABULARY_FILE), encoding="utf-8") as f:
      write_text(target, f.read())


def load_encoder(directory: str) -> keras.Model:
  """The pretrained model in `directory` (an `LstmEncoderLm` or `TransformerEncoderMlm`)."""
  import tfmodels.models  # pylint: disable=g-import-not-at-top,unused-import  (registers the classes)
  return keras.models.load_model(os.path.join(directory, MODEL_FILE), compile=False)


def transfer_encoder(encoder: keras.Model, classifier: keras.Model, directory: str) -> None:
  """Copies the pretrained encoder's weights into the classifier's encoder layers (the output layer stays new).

  A position table longer than the classifier's sequence is cut to it.

  Raises:
    ConfigError: the encoder's layers have other shapes (other model settings) or a shorter position table.
  """
  for source, target in zip(encoder.encoder_layers(), classifier.encoder_layers(), strict=True):
    expected = [tuple(variable.shape) for variable in target.weights]
    # The position table (`PositionalEmbedding`'s) is the one weight whose rows may be cut: to the first positions.
    weights = [value[:variable.shape[0]] if variable.name == "position_embeddings" else value
               for value, variable in zip(source.get_weights(), target.weights)]
    shapes = [tuple(np.shape(value)) for value in weights]
    if shapes != expected:
      settings = ", ".join(f"{key}={value}" for key, value in encoder.get_config().items()
                           if key in _ENCODER_SETTINGS)
      raise ConfigError(f"The encoder in {directory} does not fit this {classifier.name}: its layer "
                        f"'{source.name}' has weights {shapes}, the classifier's {expected}. It was pretrained with "
                        f"{settings}: use the same model settings (and a sequence length no longer than its), or "
                        "pretrain again.")
    target.set_weights(weights)


def encoder_variables(classifier: keras.Model) -> list:
  """The classifier's trainable variables that come from the pretrained encoder."""
  ids = {id(variable) for layer in classifier.encoder_layers() for variable in layer.trainable_variables}
  return [variable for variable in classifier.trainable_variables if id(variable) in ids]


def head_variables(classifier: keras.Model) -> list:
  """The classifier's trainable variables that pretraining did not give (those trained while the encoder is frozen)."""
  ids = {id(variable) for variable in encoder_variables(classifier)}
  return [variable for variable in classifier.trainable_variables if id(variable) not in ids]


_ENCODER_SETTINGS = ("vocab_size", "sequence_length", "embedding_dim", "lstm_units", "bidirectional", "num_layers",
                     "num_heads", "ff_dim")

