"""Tests of tfmodels/training/trainer.py on real data (digits; Rotten Tomatoes snippets for the text models)."""

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from tfmodels.config import ConfigError
from tfmodels.training import distribution
from tfmodels.training import trainer
from tfmodels.training.experiment import config_from_flags, train
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact
from tfmodels.training.trainer import TrainingError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def digits_config(**flags):
  values = {"model": "cnn", "dataset": "digits", "epochs": 3, "batch_size": 32, "strategy": "default",
            "params": "model.cnn.batch_norm=false"}
  values.update(flags)
  return config_from_flags(**values)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp("digits_cnn"))
  evaluation = train(digits_config(), model_dir)
  return model_dir, evaluation


def test_cnn_learns_digits_and_writes_the_model_directory(digits_run):
  model_dir, evaluation = digits_run
  assert evaluation["accuracy"] > 0.9
  assert evaluation["num_examples"] > 300
  for name in ("config.json", "dataset.json", "model.keras", "evaluation.json", "history.json", "history.csv",
               "training_curves.png", "best.weights.h5"):
    assert os.path.exists(os.path.join(model_dir, name)), name
  assert os.listdir(os.path.join(model_dir, "logs"))
  history = json.load(open(os.path.join(model_dir, "history.json")))
  assert [row["epoch"] for row in history] == [1, 2, 3]
  assert history[-1]["loss"] < history[0]["loss"]
  with open(os.path.join(model_dir, "evaluation.json")) as f:
    assert json.load(f)["accuracy"] == evaluation["accuracy"]


def test_saved_model_reproduces_the_evaluation(digits_run):
  model_dir, evaluation = digits_run
  artifact = ModelArtifact.load(model_dir)
  model = artifact.load_model()
  from tfmodels import data as data_lib
  pixels, labels = data_lib.load_dataset(artifact.config.data).split_arrays("test")
  accuracy = float((model.predict(pixels, verbose=0).argmax(-1) == labels).mean())
  assert accuracy == pytest.approx(evaluation["accuracy"], abs=1e-9)


def test_mirrored_over_two_replicas_matches_the_default_strategy(tmp_path):
  weights = {}
  for name in ("default", "mirrored"):
    # Without BatchNorm (statistics are per replica) and dropout (random per replica) the replicas must agree
    # with one device up to float rounding.
    config = digits_config(epochs=1, strategy=name, seed=7, params="model.cnn.batch_norm=false,model.cnn.dropout=0")
    train(config, str(tmp_path / name))
    weights[name] = ModelArtifact.load(str(tmp_path / name)).load_model().get_weights()
  assert distribution.build_strategy("mirrored").num_replicas_in_sync == 2
  # Adam turns float-rounding differences of near-zero gradients into updates of up to about the learning rate, so a
  # few single weights may differ by ~1e-4; on the whole the two runs must be the same.
  for default, mirrored in zip(weights["default"], weights["mirrored"]):
    np.testing.assert_allclose(default, mirrored, atol=1e-3)
    assert np.abs(default - mirrored).mean() < 5e-5


def test_killed_run_resumes_after_the_last_completed_epoch(tmp_path):
  model_dir = tmp_path / "run"
  def command(directory):
    return [sys.executable, os.path.join(ROOT, "tools", "train.py"), "--model=cnn", "--dataset=digits",
            f"--model_dir={directory}", "--epochs=4", "--batch_size=32", "--strategy=default", "--seed=3"]

  process = subprocess.Popen(command(model_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
  deadline = time.time() + 240
  state = model_dir / "checkpoints" / "checkpoint"  # the checkpoint manager's record: epoch 2 is done once it is there
  while not (state.exists() and 'model_checkpoint_path: "ckpt-2"' in state.read_text()):
    assert process.poll() is None, process.stdout.read()
    assert time.time() < deadline, "no checkpoint of epoch 2 appeared"
    time.sleep(0.05)
  process.send_signal(signal.SIGKILL)
  process.wait()
  assert not (model_dir / "model.keras").exists()
  # The epoch of the newest recorded checkpoint (the history is written before it, so it may hold one epoch more).
  completed = int(re.search(r'model_checkpoint_path: "ckpt-(\d+)"', state.read_text()).group(1))
  assert completed >= 2 and max(row["epoch"] for row in json.load(open(model_dir / "history.json"))) >= completed
  resumed = subprocess.run(command(model_dir), capture_output=True, text=True, timeout=300)
  assert resumed.returncode == 0, resumed.stderr
  output = resumed.stdout + resumed.stderr
  assert f"Resuming after epoch {completed}" in output
  assert completed < 4, "the run was killed after it had finished"
  assert f"epoch {completed}/4 " not in output and "epoch 4/4" in output
  history = json.load(open(model_dir / "history.json"))
  assert [row["epoch"] for row in history] == [1, 2, 3, 4]
  # The same run without the kill ends with the same weights: the checkpoint holds every variable (BatchNorm
  # statistics and dropout seeds included) and the resumed run saw the same batches.
  reference = tmp_path / "reference"
  subprocess.run(command(reference), capture_output=True, check=True, timeout=300)
  resumed_weights = ModelArtifact.load(str(model_dir)).load_model().get_weights()
  for a, b in zip(resumed_weights, ModelArtifact.load(str(reference)).load_model().get_weights()):
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_model_dir_holding_another_model_is_refused(digits_run):
  model_dir, _ = digits_run
  with pytest.raises(ArtifactError, match="holds a different run"):
    train(digits_config(params="model.cnn.dense_units=64"), model_dir)


@pytest.mark.parametrize("model_dir, fragment", [
    (lambda tmp: "", "--model_dir is empty: give the directory to write to"),
    (lambda tmp: str(tmp / "a_file"), "is a file, not a directory. Choose another --model_dir"),
    (lambda tmp: str(tmp / "a_file" / "run"), "which is a file, not a directory"),
])
def test_a_model_dir_that_cannot_be_a_directory_is_refused_before_anything_is_written(tmp_path, model_dir, fragment):
  (tmp_path / "a_file").write_text("kept as it is")
  with pytest.raises(ArtifactError, match=fragment):
    train(digits_config(epochs=1), model_dir(tmp_path))
  assert sorted(os.listdir(tmp_path)) == ["a_file"] and (tmp_path / "a_file").read_text() == "kept as it is"


def test_a_data_dir_that_is_a_file_is_refused(tmp_path):
  (tmp_path / "cache").write_text("")
  with pytest.raises(ArtifactError, match=r"--data_dir=.*cache is a file, not a directory"):
    train(digits_config(epochs=1, data_dir=str(tmp_path / "cache")), str(tmp_path / "model"))
  assert not (tmp_path / "model").exists()


def test_an_empty_validation_split_is_refused_and_the_new_model_dir_removed(tmp_path):
  with pytest.raises(TrainingError, match=r"The validation split of digits has no examples.*validation_fraction=0"):
    train(digits_config(epochs=1, params="data.validation_fraction=0"), str(tmp_path / "model"))
  assert not (tmp_path / "model").exists()


def test_a_second_training_into_the_same_model_dir_is_refused(tmp_path):
  model_dir = tmp_path / "model"
  holder = trainer._lock_model_dir(str(model_dir))  # what a running training holds, from its start to its end
  try:
    with pytest.raises(TrainingError, match="Another training is writing to --model_dir=.*train into another"):
      train(digits_config(epochs=1), str(model_dir))
    assert os.listdir(model_dir) == [trainer.LOCK_FILE]
  finally:
    holder.close()
  train(digits_config(epochs=1), str(model_dir))  # released: the next run goes ahead
  assert (model_dir / "model.keras").exists()


def test_a_truncated_newest_checkpoint_falls_back_to_the_one_before(digits_run, tmp_path, caplog):
  model_dir, _ = digits_run
  copy = tmp_path / "copy"
  shutil.copytree(model_dir, copy)
  newest = copy / "checkpoints" / "ckpt-3.data-00000-of-00001"
  with open(newest, "r+b") as f:  # cut off as by a full disk
    f.truncate(os.path.getsize(newest) // 2)
  lines = []
  with caplog.at_level(logging.WARNING):
    trainer.Trainer(digits_config(), str(copy), log=lines.append).run()
  assert "ckpt-3 cannot be read (IndexError: Read less bytes than requested); falling back" in caplog.text
  assert "Resuming after epoch 2 from" in "\n".join(lines) and any(line.startswith("epoch 3/3") for line in lines)
  # Epoch 3 trained again from epoch 2's checkpoint ends where the uninterrupted run ended.
  for a, b in zip(ModelArtifact.load(str(copy)).load_model().get_weights(),
                  ModelArtifact.load(model_dir).load_model().get_weights()):
    np.testing.assert_allclose(a, b, atol=1e-5)
  for name in os.listdir(copy / "checkpoints"):
    if name.startswith("ckpt-"):
      (copy / "checkpoints" / name).write_bytes(b"")
  with pytest.raises(TrainingError, match="No checkpoint in .*checkpoints can be read.*Delete that folder"):
    trainer.Trainer(digits_config(epochs=4), str(copy), log=lines.append).run()


def test_batch_size_must_divide_across_replicas(tmp_path):
  with pytest.raises(ConfigError, match="does not divide across 2 replicas"):
    train(digits_config(strategy="mirrored", batch_size=33), str(tmp_path))


def test_nan_loss_stops_with_advice(tmp_path):
  with pytest.raises(TrainingError, match="Lower the learning rate"):
    train(digits_config(epochs=2, learning_rate=1e38), str(tmp_path))
  assert not os.path.exists(tmp_path / "model.keras")


def test_text_model_on_image_data_is_refused(tmp_path):
  with pytest.raises(ConfigError, match="reads text"):
    train(digits_config(model="lstm"), str(tmp_path))


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_training_keeps_float32_logits(tmp_path, policy):
  evaluation = train(digits_config(epochs=2, mixed_precision=policy), str(tmp_path))
  assert evaluation["accuracy"] > 0.5 and evaluation["precision_policy"] == policy
  assert keras.mixed_precision.global_policy().name == "float32"  # the trainer left the process as it found it
  try:
    distribution.set_precision_policy(policy)
    model = ModelArtifact.load(str(tmp_path)).load_model()
    assert model.layers[0].compute_dtype == policy.split("_")[1]  # the policy really applied
    assert model(np.zeros((1, 8, 8, 1), np.uint8)).dtype == "float32"
  finally:
    distribution.set_precision_policy("off")
  assert keras.mixed_precision.global_policy().name == "float32"


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_text_models_learn_rotten_tomatoes(tmp_path, model):
  config = config_from_flags(model=model, dataset="rotten_tomatoes", epochs=1, strategy="default",
                             params="data.sequence_length=32,data.max_tokens=8000")
  evaluation = train(config, str(tmp_path))
  assert evaluation["accuracy"] > 0.6
  vocabulary = open(tmp_path / "vocabulary.txt", encoding="utf-8").read().split("\n")
  assert vocabulary[:2] == ["", "[UNK]"] and len(vocabulary) - 1 == 8000
  keras.mixed_precision.set_global_policy("float32")


def test_stops_early_once_the_best_epoch_is_patience_epochs_behind():
  from tfmodels.config import TrainerConfig
  rows = lambda *losses: [{"epoch": i + 1, "val_loss": loss, "val_accuracy": 0.5} for i, loss in enumerate(losses)]
  patient = TrainerConfig(patience=2, best_metric="loss")
  assert not trainer._stops_early([], patient)
  assert not trainer._stops_early(rows(1.0, 0.9, 0.95), patient)
  assert trainer._stops_early(rows(1.0, 0.9, 0.95, 0.97), patient)
  assert not trainer._stops_early(rows(1.0, 0.9, 0.95, 0.89), patient)
  assert not trainer._stops_early(rows(1.0, 0.9, 0.95, 0.97), TrainerConfig(patience=0, best_metric="loss"))


def test_early_stopping_ends_the_run_keeps_the_best_weights_and_a_rerun_trains_no_more(tmp_path):
  # A high learning rate on the small digits set: the validation loss soon stops improving.
  config = digits_config(epochs=40, learning_rate=0.01,
                         params="model.cnn.batch_norm=false,trainer.best_metric=loss,trainer.patience=2")
  evaluation = train(config, str(tmp_path))
  assert evaluation["stopped_early"] and evaluation["epochs_trained"] == evaluation["best_epoch"] + 2 < 40
  history = json.load(open(tmp_path / "history.json"))
  assert [row["epoch"] for row in history] == list(range(1, evaluation["epochs_trained"] + 1))
  artifact = ModelArtifact.load(str(tmp_path))
  model = artifact.load_model()
  best = keras.models.clone_model(model)
  best.load_weights(tmp_path / trainer.BEST_WEIGHTS_FILE)
  for saved, kept in zip(model.get_weights(), best.get_weights()):
    np.testing.assert_array_equal(saved, kept)
  again = train(config, str(tmp_path))  # started again with the same command: nothing is left to train
  assert again["epochs_trained"] == evaluation["epochs_trained"]
  assert again["weights_fingerprint"] == evaluation["weights_fingerprint"]


def write_reviews_csv(path, rows=2400):
  """The first `rows` Rotten Tomatoes snippets as a user's own `text,label` CSV (no preset applies to it)."""
  import csv
  from tfmodels import data as data_lib
  from tfmodels.config import DataConfig
  reviews = data_lib.load_dataset(DataConfig(dataset="rotten_tomatoes"))
  texts, labels = reviews.split_arrays("train", limit=rows)
  with open(path, "w", newline="", encoding="utf-8") as f:
    writer = csv.writer(f)
    writer.writerow(["text", "label"])
    writer.writerows((text.decode(), reviews.label_names[label]) for text, label in zip(texts, labels))
  return f"csv:{path}"


def recorded_buckets(model_dir):
  """The n-gram buckets the run's config.json records."""
  return json.load(open(model_dir / "config.json"))["model"]["transformer"]["ngram_buckets"]


def test_a_users_texts_get_a_length_chosen_from_them_and_the_linear_reference_beside_the_figures(tmp_path):
  dataset = write_reviews_csv(tmp_path / "reviews.csv")
  lines = []
  config = config_from_flags(model="transformer", dataset=dataset, epochs=1, strategy="default",
                             data_dir=str(tmp_path / "cache"), pretrain="off")  # (pretraining: pretraining_test.py)
  assert config.data.sequence_length == 0
  model_dir = tmp_path / "run"
  evaluation = trainer.Trainer(config, str(model_dir), log=lines.append).run()
  recorded = json.load(open(model_dir / "config.json"))["data"]
  assert 24 <= recorded["sequence_length"] <= 64 and recorded["sequence_length"] % 8 == 0  # snippets: ~26 words
  assert 0.5 < evaluation["baseline_accuracy"] < 0.9 and evaluation["baseline"]["method"].startswith("tfidf")
  assert json.load(open(model_dir / "evaluation.json"))["baseline_accuracy"] == evaluation["baseline_accuracy"]
  assert any("TF-IDF + logistic-regression reference on the same split" in line for line in lines)
  # The recipe's n-gram model, fitted after the network and blended with it on validation (ngram_fit_test.py).
  ngrams = evaluation["ngram_model"]
  assert ngrams["validation_accuracy"]["ngrams"] > 0.6 and ngrams["buckets"] == recorded_buckets(model_dir) == 2**18
  assert json.load(open(model_dir / "evaluation.json"))["ngram_model"] == ngrams
  assert any(line.startswith("N-gram model") for line in lines)
  vocabulary = open(model_dir / "vocabulary.txt", encoding="utf-8").read().splitlines()
  assert 500 < len(vocabulary) < 8000  # words seen at least twice in 1,700 training snippets
  artifact = ModelArtifact.load(str(model_dir))
  assert artifact.config.data.sequence_length == recorded["sequence_length"]
  assert artifact.load_model().input_signature().shape[1] == recorded["sequence_length"]
  # Resumed (here: with more epochs), the run keeps the length it chose.
  more = config_from_flags(model="transformer", dataset=dataset, epochs=2, strategy="default",
                           data_dir=str(tmp_path / "cache"), pretrain="off")
  trainer.Trainer(more, str(model_dir), log=lines.append).run()
  assert json.load(open(model_dir / "config.json"))["data"]["sequence_length"] == recorded["sequence_length"]
  assert any("Resuming after epoch 1" in line for line in lines)
  assert sum(line.startswith("N-gram model") for line in lines) == 2  # fitted again on the longer run's network


def test_the_ngram_model_is_fitted_across_mirrored_replicas(tmp_path):
  dataset = write_reviews_csv(tmp_path / "reviews.csv", rows=1200)
  config = config_from_flags(model="lstm", dataset=dataset, epochs=1, strategy="mirrored",
                             data_dir=str(tmp_path / "cache"), pretrain="off",
                             params="model.lstm.embedding_dim=16,model.lstm.lstm_units=8")
  model_dir = tmp_path / "run"
  evaluation = trainer.Trainer(config, str(model_dir), log=lambda line: None).run()
  ngrams = evaluation["ngram_model"]
  assert ngrams["ngram_weight"] > 0 and ngrams["validation_accuracy"]["ngrams"] > 0.55
  # The saved model holds the fitted table and reproduces the test figure the run measured across the replicas.
  artifact = ModelArtifact.load(str(model_dir))
  model = artifact.load_model()
  assert np.abs(model.ngram_logits.get_weights()[0]).max() > 0
  texts, labels = artifact.load_dataset().split_arrays("test")
  ids = artifact.preprocessor()(texts)
  accuracy = float(np.mean(np.argmax(keras.ops.convert_to_numpy(model(ids)), axis=1) == labels))
  assert accuracy == pytest.approx(evaluation["accuracy"], abs=1e-6)


@pytest.mark.parametrize("buckets, suggested", [(0, True), (4096, False)])
def test_a_model_below_the_reference_is_told_what_may_help(tmp_path, buckets, suggested):
  lines = []
  config = config_from_flags(model="transformer", dataset="csv:reviews.csv", strategy="default",
                             params=f"model.transformer.ngram_buckets={buckets}")
  run = trainer.Trainer(config, str(tmp_path / "run"), log=lines.append)
  run._compare_with_baseline(0.70, 0.75)
  assert "this model is below it (-0.0500)" in lines[0] and "worse than the linear reference" in lines[1]
  assert ("--params=model.transformer.ngram_buckets=-1" in lines[1]) == suggested
  lines.clear()
  run._compare_with_baseline(0.75, 0.75)
  assert len(lines) == 1 and "at or above it (+0.0000)" in lines[0]
