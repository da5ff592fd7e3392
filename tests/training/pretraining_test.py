"""Tests of a text classifier pretrained on unlabelled text (tfmodels/training/pretraining.py and the trainer's use of
it), on real Rotten Tomatoes snippets written out as a user's CSV."""

import filecmp
import json

import keras
import numpy as np
import pytest

from tests.training.trainer_test import write_reviews_csv
from tfmodels.config import ConfigError
from tfmodels.training import trainer
from tfmodels.training.experiment import config_from_flags
from tfmodels.training.model_artifact import ModelArtifact


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
  directory = tmp_path_factory.mktemp("reviews")
  return write_reviews_csv(directory / "reviews.csv", rows=1600), str(directory / "cache")


def config(reviews, model="lstm", **flags):
  dataset, data_dir = reviews
  values = {"model": model, "dataset": dataset, "epochs": 1, "strategy": "default", "data_dir": data_dir}
  values.update(flags)
  return config_from_flags(**values)


def embedding_table(model):
  layer = model.encoder_layers()[0]
  return np.asarray(layer.get_weights()[0])


@pytest.fixture(scope="module")
def pretrained_run(reviews, tmp_path_factory):
  """An LSTM pretrained for three epochs, then one epoch of its output layer alone (the encoder frozen)."""
  model_dir = tmp_path_factory.mktemp("pretrained_lstm")
  lines = []
  run_config = config(reviews, pretrain="on", params="pretrain.epochs=3,pretrain.patience=0")
  evaluation = trainer.Trainer(run_config, str(model_dir), log=lines.append).run()
  return model_dir, evaluation, lines


def test_pretraining_runs_through_the_trainer_with_falling_loss_then_the_classifier_starts_from_it(pretrained_run):
  model_dir, evaluation, lines = pretrained_run
  stage = model_dir / "pretraining"
  history = json.load(open(stage / "history.json"))
  assert [row["epoch"] for row in history] == [1, 2, 3]
  assert history[-1]["loss"] < history[0]["loss"] and history[-1]["val_loss"] < history[0]["val_loss"]
  recorded = json.load(open(stage / "config.json"))
  assert recorded["pretrain"]["stage"] and recorded["trainer"]["best_metric"] == "loss"
  assert json.load(open(stage / "dataset.json"))["objective"] == "next and previous word"
  assert filecmp.cmp(stage / "vocabulary.txt", model_dir / "vocabulary.txt", shallow=False)
  assert any(line.startswith("[pretraining] epoch 3/3") for line in lines)
  assert evaluation["pretraining"]["used"] and evaluation["pretraining"]["encoder"] == str(stage)
  # The one epoch trained the output layer alone: the embedding is the pretrained one, exactly.
  classifier = keras.models.load_model(model_dir / "model.keras")
  encoder = keras.models.load_model(stage / "model.keras")
  np.testing.assert_array_equal(embedding_table(classifier), embedding_table(encoder))
  assert 0.4 < evaluation["accuracy"] <= 1.0


def test_a_finished_run_started_again_resumes_both_stages_and_trains_no_more(pretrained_run, reviews):
  model_dir, evaluation, _ = pretrained_run
  lines = []
  again = trainer.Trainer(config(reviews, pretrain="on", params="pretrain.epochs=3,pretrain.patience=0"),
                          str(model_dir), log=lines.append).run()
  assert any(line.startswith("[pretraining] Resuming after epoch 3") for line in lines)
  assert any(line.startswith("Resuming after epoch 1") for line in lines)
  assert not any(line.startswith(("epoch ", "[pretraining] epoch ")) for line in lines)
  assert again["weights_fingerprint"] == evaluation["weights_fingerprint"]


def test_init_from_starts_a_new_run_from_an_earlier_runs_encoder_and_vocabulary(pretrained_run, reviews, tmp_path):
  model_dir, _, _ = pretrained_run
  stage = model_dir / "pretraining"
  lines = []
  evaluation = trainer.Trainer(config(reviews, init_from=str(stage), seed=7), str(tmp_path / "run"),
                               log=lines.append).run()
  assert not (tmp_path / "run" / "pretraining").exists()  # nothing pretrained again
  assert filecmp.cmp(stage / "vocabulary.txt", tmp_path / "run" / "vocabulary.txt", shallow=False)
  recorded = json.load(open(tmp_path / "run" / "config.json"))
  assert recorded["data"]["sequence_length"] == json.load(open(stage / "config.json"))["data"]["sequence_length"]
  assert not (tmp_path / "run" / "without_pretraining").exists()  # an encoder given is used (its own vocabulary)
  classifier = keras.models.load_model(tmp_path / "run" / "model.keras")
  np.testing.assert_array_equal(embedding_table(classifier),
                                embedding_table(keras.models.load_model(stage / "model.keras")))
  assert evaluation["pretraining"]["encoder"] == str(stage)
  assert any(f"Starting from the pretrained encoder in {stage}" in line for line in lines)


def test_auto_trains_from_scratch_too_and_keeps_the_better_on_validation(reviews, tmp_path):
  lines = []
  model_dir = tmp_path / "run"
  evaluation = trainer.Trainer(config(reviews, model="transformer", epochs=2,
                                      params="pretrain.epochs=2,pretrain.freeze_epochs=0"),
                               str(model_dir), log=lines.append).run()
  assert json.load(open(model_dir / "config.json"))["pretrain"]["mode"] == "auto"  # the recipe's, for a user's CSV
  choice = evaluation["pretraining"]
  assert set(choice["validation_accuracy"]) == {"pretrained", "from_scratch"}
  assert json.load(open(model_dir / "pretraining" / "dataset.json"))["objective"] == "masked words"
  # The kept network is the one from scratch or not (its encoder: the n-gram fit then rescales the output layer).
  kept, scratch = (ModelArtifact.load(str(folder)).load_model() for folder in (model_dir,
                                                                               model_dir / "without_pretraining"))
  kept_scratch = all(np.array_equal(a, b) for a, b in zip(kept.embedding.get_weights(), scratch.embedding.get_weights()))
  assert kept_scratch == (not choice["used"])
  pretrained, from_scratch = choice["validation_accuracy"]["pretrained"], choice["validation_accuracy"]["from_scratch"]
  assert (pretrained >= from_scratch) if choice["used"] else (from_scratch >= pretrained)
  assert any("keeping the model with" in line for line in lines)


@pytest.mark.slow  # prepares a text corpus and pretrains on it (about a minute on 2 cores)
def test_a_pretraining_corpus_adds_pieces_of_its_text(reviews, tmp_path):
  from tfmodels import data as data_lib  # pylint: disable=g-import-not-at-top
  from tfmodels.config import DataConfig  # pylint: disable=g-import-not-at-top
  # Unlabelled text: snippets the labelled CSV does not hold, one a line, as a user's text file.
  texts, _ = data_lib.load_dataset(DataConfig(dataset="rotten_tomatoes")).split_arrays("train", limit=5000)
  corpus = tmp_path / "unlabelled.txt"
  corpus.write_text("\n".join(text.decode() for text in texts[1600:]), encoding="utf-8")
  model_dir = tmp_path / "run"
  trainer.Trainer(config(reviews, pretrain_corpus=f"text:{corpus}",
                         params="pretrain.epochs=1,pretrain.max_texts=2000,pretrain.freeze_epochs=0"),
                  str(model_dir), log=lambda line: None).run()
  description = json.load(open(model_dir / "pretraining" / "dataset.json"))
  assert description["corpus"] == f"text:{corpus}"
  # About 1,100 training texts, then pieces of the corpus up to 2,000 (less any without two known words).
  assert 700 < description["corpus_pieces"] < 1000
  assert 1950 < description["num_examples"]["train"] <= 2000


@pytest.mark.parametrize("flags, message", [
    ({"model": "cnn", "dataset": "digits", "pretrain": "on"}, "only text classifiers pretrain"),
    ({"pretrain_corpus": "csv:reviews.csv"}, "is not a text corpus"),
])
def test_settings_that_cannot_pretrain_are_refused(reviews, flags, message):
  with pytest.raises(ConfigError, match=message):
    config(reviews, **flags)


def test_init_from_a_missing_directory_or_a_classifier_is_refused(pretrained_run, reviews, tmp_path):
  model_dir, _, _ = pretrained_run
  with pytest.raises(ConfigError, match="does not exist"):
    trainer.Trainer(config(reviews, init_from=str(tmp_path / "nowhere")), str(tmp_path / "a")).run()
  with pytest.raises(ConfigError, match="not a pretrained encoder"):
    trainer.Trainer(config(reviews, init_from=str(model_dir)), str(tmp_path / "b")).run()
  assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()  # nothing half-written


def test_evaluate_and_export_refuse_a_pretraining_directory_with_the_way_out(pretrained_run):
  from tfmodels.training.model_artifact import ArtifactError, ModelArtifact  # pylint: disable=g-import-not-at-top
  model_dir, _, _ = pretrained_run
  with pytest.raises(ArtifactError, match="pretrained text encoder.*--init_from="):
    ModelArtifact.load(str(model_dir / "pretraining"))
  assert ModelArtifact.load(str(model_dir)).kind == "text"
