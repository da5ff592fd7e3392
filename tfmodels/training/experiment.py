"""From command-line values to a validated ExperimentConfig, and the training entry point the tools call.

Built-in data sets come with presets (settings that reach the quality targets in BENCHMARKS.md); any other data set
gets the general recipe of its model (`AUTO_RECIPES`). Flags override both, and `--params` overrides everything.
"""

from __future__ import annotations

import dataclasses
import os

from absl import logging

from tfmodels import dataset_names
from tfmodels.config import BUCKETS_FROM_DATA, ExperimentConfig, parse_assignments
from tfmodels.training.writable_directory import check_writable_dir

# Language models read characters in windows of 128 and are chosen by validation loss (their accuracy, the share of
# next characters guessed right, says less), with clipped gradients and a cosine decay.
_LANGUAGE_MODEL = {"data.sequence_length": "128", "data.max_tokens": "256", "trainer.best_metric": "loss",
                   "trainer.batch_size": "64", "trainer.clipnorm": "1.0", "trainer.lr_schedule": "cosine"}

# (dataset, model) -> overrides; "*" matches any data set or model. ("*", model) applies first, then (dataset, "*"),
# then (dataset, model).
PRESETS: dict[tuple[str, str], dict[str, str]] = {
    ("*", "transformer_lm"): {**_LANGUAGE_MODEL, "trainer.epochs": "8", "trainer.learning_rate": "2e-3",
                              "trainer.warmup_epochs": "1"},
    ("*", "lstm_lm"): {**_LANGUAGE_MODEL, "trainer.epochs": "6", "trainer.learning_rate": "3e-3"},
    ("digits", "cnn"): {"trainer.epochs": "20", "trainer.batch_size": "32", "model.cnn.batch_norm": "true",
                        "model.cnn.dropout": "0.3"},
    ("fashion_mnist", "cnn"): {"trainer.epochs": "20", "trainer.batch_size": "128", "model.cnn.batch_norm": "true",
                               "model.cnn.conv_filters": "(32,64,128)",
                               "model.cnn.dropout": "0.4", "trainer.lr_schedule": "cosine",
                               "data.random_flip": "horizontal"},
    # Both text models peak on validation after one to three epochs; longer runs only memorise the training split.
    ("rotten_tomatoes", "*"): {"trainer.epochs": "3", "trainer.batch_size": "64", "data.sequence_length": "64"},
    ("rotten_tomatoes", "lstm"): {"trainer.epochs": "4", "trainer.batch_size": "32", "trainer.learning_rate": "5e-4",
                                  "model.lstm.dropout": "0.5"},
}

# Data without a preset (images:DIR, csv:PATH, tfds:NAME) gets a general recipe per model: settings that suit data
# of its kind whatever it shows, the number of epochs chosen by early stopping on validation (trainer.epochs is the
# most), and a text's sequence length chosen from the training texts (data.sequence_length=0). No flips: digits and
# text must not be mirrored (data.random_flip=horizontal asks for them). Images stop, cut the rate and keep their
# weights by validation loss: the accuracy of a few hundred validation images moves in steps of a few images, and
# one lucky epoch ended runs whose loss was still falling. Text classifiers carry a linear n-gram model
# beside the network, blended with it on validation (`tfmodels/training/ngram_fit.py`): on small data it often knows
# more than the network.
_TEXT_RECIPE = {"data.sequence_length": "0", "data.min_token_count": "2", "trainer.epochs": "30",
                "trainer.patience": "4", "pretrain.mode": "auto"}
AUTO_RECIPES: dict[str, dict[str, str]] = {
    "cnn": {"model.cnn.batch_norm": "true", "model.cnn.dropout": "0.3", "data.random_translation": "0.1",
            "data.random_zoom": "0.1", "data.random_rotation": "10", "data.random_contrast": "0.2",
            "trainer.lr_schedule": "plateau", "trainer.warmup_epochs": "1", "trainer.epochs": "40",
            "trainer.patience": "8", "trainer.best_metric": "loss"},
    "lstm": {**_TEXT_RECIPE, "model.lstm.ngram_buckets": str(BUCKETS_FROM_DATA)},
    "transformer": {**_TEXT_RECIPE, "model.transformer.ngram_buckets": str(BUCKETS_FROM_DATA)},
}


def recipe_for(model: str, dataset: str) -> dict[str, str]:
  """The overrides of the defaults that `model` on `dataset` starts from: its presets (PRESETS), or, for data without
  a preset of its own, the general recipe (AUTO_RECIPES)."""
  keys = (("*", model), (dataset, "*"), (dataset, model))  # the more specific preset refines the other
  if not any(key in PRESETS for key in keys[1:]):
    keys = (("*", model),)
    if model in AUTO_RECIPES:
      return {**PRESETS.get(keys[0], {}), **AUTO_RECIPES[model]}
  recipe: dict[str, str] = {}
  for key in keys:
    recipe.update(PRESETS.get(key, {}))
  return recipe


def config_from_flags(*, model: str, dataset: str, data_dir: str | None = None, manual_dir: str | None = None,
                      epochs: int | None = None,
                      batch_size: int | None = None, learning_rate: float | None = None, strategy: str = "auto",
                      mixed_precision: str = "auto", jit_compile: bool = False, seed: int | None = None,
                      pretrain: str | None = None, pretrain_corpus: str | None = None,
                      init_from: str | None = None, params: str = "") -> ExperimentConfig:
  """Returns the validated configuration: defaults, then the preset or recipe (`recipe_for`), then flags, then
  `params`."""
  config = ExperimentConfig()
  # First, so that nothing is chosen for a pair that cannot work (the presets' warm-up, say).
  dataset_names.check_fits(dataset, dataclasses.replace(config.model, name=model))
  config = dataclasses.replace(config, model=dataclasses.replace(config.model, name=model),
                               data=dataclasses.replace(config.data, dataset=dataset))
  config = config.override(recipe_for(model, dataset))
  flag_values = {"data.data_dir": data_dir, "data.manual_dir": manual_dir, "trainer.epochs": epochs,
                 "trainer.batch_size": batch_size,
                 "trainer.learning_rate": learning_rate, "runtime.strategy": strategy,
                 "runtime.mixed_precision": mixed_precision, "runtime.jit_compile": jit_compile, "runtime.seed": seed,
                 "pretrain.mode": pretrain, "pretrain.corpus": pretrain_corpus, "pretrain.init_from": init_from}
  config = config.override({path: str(value) for path, value in flag_values.items() if value is not None})
  if (pretrain_corpus or init_from) and pretrain is None and config.pretrain.mode == "off":
    config = config.override({"pretrain.mode": "on"})  # naming what to pretrain on, or from, asks for it
  assignments = parse_assignments(params)
  config = config.override(assignments)
  trainer = config.trainer
  if "trainer.warmup_epochs" not in assignments and trainer.warmup_epochs >= trainer.epochs > 0:
    # A preset's warm-up is meant for the preset's run length: a shorter run gets a shorter one.
    shortened = trainer.epochs - 1
    logging.warning("The preset's warm-up of %d epoch(s) is as long as the run of %d epoch(s): shortened to %d "
                    "(set --params=trainer.warmup_epochs=N to choose).", trainer.warmup_epochs, trainer.epochs,
                    shortened)
    config = config.override({"trainer.warmup_epochs": str(shortened)})
  if config.pretrain.corpus:
    dataset_names.check_pretrain_corpus(config.pretrain.corpus)
  return config.validate()


def train(config: ExperimentConfig, model_dir: str, strategy=None) -> dict:
  """Trains `config` into `model_dir`; returns the test-split figures.

  A single process (no `strategy` given, no TF_CONFIG cluster) writes `model_dir` itself, so its directories are
  checked before TensorFlow is imported: a wrong flag is named at once, not after seconds of start-up. The trainer
  checks them again (in a cluster, only the chief writes `model_dir`).
  """
  if strategy is None and not os.environ.get("TF_CONFIG"):
    check_writable_dir(model_dir, "model_dir")
    if config.data.data_dir:
      check_writable_dir(config.data.data_dir, "data_dir")
  from tfmodels.training.trainer import Trainer  # pylint: disable=g-import-not-at-top  (TensorFlow: seconds)
  return Trainer(config, model_dir, strategy=strategy).run()
