"""Tests of how flags, presets and `--params` make a configuration (`experiment.config_from_flags`)."""

import logging
import subprocess
import sys

import pytest

from tfmodels.config import ConfigError
from tfmodels.config import BUCKETS_FROM_DATA
from tfmodels.training.experiment import config_from_flags


def test_a_preset_warmup_as_long_as_the_run_is_shortened_and_said(caplog):
  with caplog.at_level(logging.WARNING):
    config = config_from_flags(model="transformer_lm", dataset="novels", epochs=1)
  assert config.trainer.epochs == 1 and config.trainer.warmup_epochs == 0
  assert "warm-up of 1 epoch(s) is as long as the run of 1 epoch(s): shortened to 0" in caplog.text
  config = config_from_flags(model="transformer_lm", dataset="novels", params="trainer.epochs=3")
  assert config.trainer.warmup_epochs == 1  # the preset's warm-up fits a longer run


def test_a_warmup_the_user_asks_for_is_checked_not_changed():
  with pytest.raises(ConfigError, match="trainer.warmup_epochs"):
    config_from_flags(model="transformer_lm", dataset="novels", epochs=2, params="trainer.warmup_epochs=2")


@pytest.mark.parametrize("dataset", ["images:/data/photos", "tfds:cifar10"])
def test_image_data_without_a_preset_gets_the_general_image_recipe(dataset):
  config = config_from_flags(model="cnn", dataset=dataset)
  assert config.model.cnn.batch_norm and config.model.cnn.dropout > 0
  data = config.data
  assert data.random_translation > 0 and data.random_zoom > 0 and data.random_rotation > 0 and data.random_contrast > 0
  assert data.random_flip == "none"  # digits and text must not be mirrored
  trainer = config.trainer
  assert trainer.lr_schedule == "plateau" and trainer.warmup_epochs >= 1 and trainer.patience > trainer.plateau_patience
  assert trainer.best_metric == "loss"  # a few hundred validation images: their accuracy moves in steps
  assert trainer.epochs > trainer.patience  # an upper bound: early stopping chooses


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_text_data_without_a_preset_chooses_its_length_from_the_data_and_a_counted_vocabulary(model):
  config = config_from_flags(model=model, dataset="csv:/data/reviews.csv")
  assert config.data.sequence_length == 0 and config.data.min_token_count >= 2 and config.trainer.patience >= 1


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_text_data_without_a_preset_gets_an_ngram_model_and_built_in_presets_do_not(model):
  recipe = getattr(config_from_flags(model=model, dataset="csv:/data/reviews.csv").model, model)
  assert recipe.ngram_buckets == BUCKETS_FROM_DATA  # the run chooses (ngram_fit_test.py)
  assert getattr(config_from_flags(model=model, dataset="rotten_tomatoes").model, model).ngram_buckets == 0
  off = config_from_flags(model=model, dataset="csv:/data/reviews.csv", params=f"model.{model}.ngram_buckets=0")
  assert getattr(off.model, model).ngram_buckets == 0
  with pytest.raises(ConfigError, match=f"model.{model}.ngram_buckets"):
    config_from_flags(model=model, dataset="csv:/data/reviews.csv", params=f"model.{model}.ngram_buckets=-2")


def test_text_data_without_a_preset_pretrains_when_validation_says_so_and_built_in_presets_do_not():
  assert config_from_flags(model="lstm", dataset="csv:/data/reviews.csv").pretrain.mode == "auto"
  assert config_from_flags(model="lstm", dataset="rotten_tomatoes").pretrain.mode == "off"
  assert config_from_flags(model="cnn", dataset="images:/data/photos").pretrain.mode == "off"
  # Naming unlabelled text or an encoder asks for pretraining; an explicit --pretrain has the last word.
  assert config_from_flags(model="lstm", dataset="rotten_tomatoes", pretrain_corpus="novels").pretrain.mode == "on"
  assert config_from_flags(model="lstm", dataset="rotten_tomatoes", init_from="runs/a/pretraining").pretrain.mode == "on"
  assert config_from_flags(model="lstm", dataset="rotten_tomatoes", pretrain="off",
                           pretrain_corpus="novels").pretrain.mode == "off"
  assert config_from_flags(model="lstm", dataset="csv:/data/r.csv", pretrain_corpus="novels").pretrain.mode == "auto"


def test_built_in_data_keeps_its_preset_and_flags_and_params_override_the_recipe():
  fashion = config_from_flags(model="cnn", dataset="fashion_mnist")
  assert fashion.data.random_flip == "horizontal" and fashion.data.random_zoom == 0 and fashion.trainer.patience == 0
  tomatoes = config_from_flags(model="lstm", dataset="rotten_tomatoes")
  assert tomatoes.data.sequence_length == 64 and tomatoes.data.min_token_count == 1
  assert config_from_flags(model="lstm_lm", dataset="text:/data/book.txt").data.sequence_length == 128
  mine = config_from_flags(model="cnn", dataset="images:/data/photos", epochs=5,
                           params="data.random_rotation=0,trainer.patience=0")
  assert mine.trainer.epochs == 5 and mine.data.random_rotation == 0 and mine.trainer.patience == 0
  assert mine.data.random_zoom > 0  # the rest of the recipe stays


def test_the_recipes_warmup_is_shortened_for_a_one_epoch_run():
  config = config_from_flags(model="cnn", dataset="images:/data/photos", epochs=1)
  assert config.trainer.warmup_epochs == 0


_WRONG_DIRECTORY_WITHOUT_TENSORFLOW = """
import sys
from tfmodels.training import experiment
from tfmodels.training.artifact_error import ArtifactError
config = experiment.config_from_flags(model="cnn", dataset="digits", data_dir=sys.argv[2])
try:
  experiment.train(config, sys.argv[1])
except ArtifactError as error:
  print(error)
print("tensorflow imported" if "tensorflow" in sys.modules else "tensorflow not imported")
"""


def test_wrong_directories_are_named_before_tensorflow_is_imported(tmp_path):
  # A mistake in a flag is named at once, not after TensorFlow's seconds of start-up.
  (tmp_path / "a_file").write_text("kept")
  for model_dir, data_dir, problem in ((tmp_path / "a_file", tmp_path, "--model_dir="),
                                       (tmp_path / "model", tmp_path / "a_file", "--data_dir=")):
    result = subprocess.run([sys.executable, "-c", _WRONG_DIRECTORY_WITHOUT_TENSORFLOW, str(model_dir), str(data_dir)],
                            capture_output=True, text=True, timeout=120, check=True)
    assert problem in result.stdout and "is a file, not a directory" in result.stdout, result.stdout
    assert result.stdout.strip().endswith("tensorflow not imported"), result.stdout
  assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


@pytest.mark.parametrize("model, dataset, message", [
    ("transformer_lm", "digits", "learns from running text, but 'digits' is a labelled data set"),
    ("cnn", "novels", "'novels' is a text corpus for the language models"),
    ("lstm", "text:/data/book.txt", "'text:/data/book.txt' is a text corpus for the language models")])
def test_a_model_given_data_it_cannot_learn_from_is_named_before_any_setting_is_chosen(caplog, model, dataset,
                                                                                       message):
  with caplog.at_level(logging.WARNING), pytest.raises(ConfigError, match=message):
    config_from_flags(model=model, dataset=dataset, epochs=1)
  assert "warm-up" not in caplog.text  # the preset's warm-up is not shortened for a run that cannot start
