"""Training the language models through the trainer, on real text (a slice of the novels written as a user file)."""

import json
import math
import os

import numpy as np
import pytest

from tfmodels.config import ConfigError, DataConfig
from tfmodels.data import DataError, load_corpus
from tfmodels.generation import KerasNextToken
from tfmodels.training.evaluation import evaluate_artifact
from tfmodels.training.experiment import config_from_flags, train
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact

TINY = {"transformer_lm": "model.transformer_lm.embedding_dim=32,model.transformer_lm.num_layers=1,"
                          "model.transformer_lm.ff_dim=64,model.transformer_lm.num_heads=2",
        "lstm_lm": "model.lstm_lm.embedding_dim=16,model.lstm_lm.lstm_units=64"}


@pytest.fixture(scope="module")
def novel_slice(tmp_path_factory):
  """About 80,000 characters of Pride and Prejudice, as a user's text file."""
  corpus = load_corpus(DataConfig(dataset="novels"))
  text = "".join(block for split in ("train", "validation", "test") for block in corpus.texts(split))
  start = text.index("It is a truth universally acknowledged")
  path = tmp_path_factory.mktemp("text") / "pride.txt"
  path.write_text(text[start:start + 80000], encoding="utf-8")
  return str(path)


def lm_config(model, path, **flags):
  # A tiny LSTM climbs off the character frequencies only with a large learning rate.
  values = {"model": model, "dataset": f"text:{path}", "data_dir": os.path.join(os.path.dirname(path), "cache"),
            "epochs": 2, "batch_size": 16, "strategy": "default",
            "learning_rate": 1e-2 if model == "lstm_lm" else 3e-3,
            "params": TINY[model] + ",data.sequence_length=32"}
  values.update(flags)
  return config_from_flags(**values)


@pytest.mark.parametrize("model", ["transformer_lm", "lstm_lm"])
def test_language_model_beats_the_character_frequencies(tmp_path, novel_slice, model):
  evaluation = train(lm_config(model, novel_slice), str(tmp_path))
  with open(tmp_path / "evaluation.json") as f:
    assert json.load(f) == evaluation
  assert evaluation["perplexity"] == pytest.approx(math.exp(evaluation["loss"]))
  vocabulary = ModelArtifact.load(str(tmp_path)).char_vocabulary()
  # Better than guessing characters uniformly, and on its way to the bigram model after two short epochs.
  assert evaluation["perplexity"] < vocabulary.size / 3
  assert evaluation["perplexity"] < 1.6 * evaluation["bigram_perplexity"]
  assert 0.5 < evaluation["bigram_perplexity"] / 10 < 2.0
  description = json.load(open(tmp_path / "dataset.json"))
  assert description["kind"] == "corpus" and description["feature_shape"] == [32]
  assert description["num_examples"]["test"] == evaluation["num_examples"] > 0
  assert evaluation["num_tokens"] == 32 * evaluation["num_examples"]
  history = json.load(open(tmp_path / "history.json"))
  assert history[-1]["loss"] < history[0]["loss"]
  # The trained model generates, greedily and reproducibly.
  generator = KerasNextToken.generator(ModelArtifact.load(str(tmp_path)))
  text = generator.generate("It is a truth", 40).text
  assert len(text) == 40 and text == generator.generate("It is a truth", 40).text
  sampled = generator.generate("It is a truth", 40, temperature=1.0, seed=1).text
  assert sampled == generator.generate("It is a truth", 40, temperature=1.0, seed=1).text
  # tools/evaluate.py's library scores the same test windows as training did, and adds figures by position.
  output_dir = tmp_path / "evaluated"
  lines = []
  figures = evaluate_artifact(ModelArtifact.load(str(tmp_path)), output_dir=str(output_dir), log=lines.append)
  assert figures["perplexity"] == pytest.approx(evaluation["perplexity"], rel=1e-4)
  assert figures["accuracy"] == pytest.approx(evaluation["accuracy"], abs=1e-6)
  assert figures["bigram_perplexity"] == pytest.approx(evaluation["bigram_perplexity"], rel=1e-9)
  assert figures["num_examples"] == evaluation["num_examples"] and figures["num_tokens"] == evaluation["num_tokens"]
  by_position = np.array(figures["perplexity_by_position"])
  assert by_position.shape == (32,)
  assert np.exp(np.log(by_position).mean()) == pytest.approx(figures["perplexity"], rel=1e-4)
  assert by_position[-8:].mean() < by_position[0]  # more context, better guesses
  assert json.loads(lines[0])["perplexity"] == figures["perplexity"]
  assert json.load(open(output_dir / "evaluation_test.json")) == figures
  assert (output_dir / "perplexity_by_position_test.png").stat().st_size > 10_000


def test_language_model_needs_a_text_corpus(tmp_path):
  with pytest.raises(ConfigError, match="learns from running text"):
    train(config_from_flags(model="transformer_lm", dataset="digits", strategy="default"), str(tmp_path))
  assert not os.listdir(tmp_path)


def test_classifier_refuses_a_text_corpus(tmp_path, novel_slice):
  with pytest.raises(ConfigError, match="text corpus for the language models"):
    train(config_from_flags(model="lstm", dataset=f"text:{novel_slice}", strategy="default"), str(tmp_path))


def test_text_smaller_than_the_window_is_refused(tmp_path):
  path = tmp_path / "tiny.txt"
  path.write_text("Call me Ishmael.", encoding="utf-8")
  with pytest.raises(DataError, match="sequence_length"):
    train(lm_config("transformer_lm", path), str(tmp_path / "run"))


def test_generate_refuses_a_classifier(tmp_path):
  from tests.training.trainer_test import digits_config
  train(digits_config(epochs=1), str(tmp_path))
  with pytest.raises(ArtifactError, match="not a language model"):
    KerasNextToken.generator(ModelArtifact.load(str(tmp_path)))
