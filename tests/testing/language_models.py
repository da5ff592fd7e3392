"""Tiny language models trained on real text, and their exports, built once per test session.

The builders keep their folders under pytest's base temporary folder, shared by the test processes of the run
(`shared_builds`), so the tests of several folders (tests/export, tests/edge, tests/tools) share one training and one
export per architecture.
"""

from __future__ import annotations

import json
import pathlib

from export.exporter import Exporter
from export.verification_gates import VerificationGates
from tests.testing.shared_builds import built_by_one, shared_root
from tfmodels.config import DataConfig
from tfmodels.data import load_corpus
from tfmodels.training.experiment import config_from_flags, train

ARCHITECTURES = ("transformer_lm", "lstm_lm")
SEQUENCE_LENGTH = 32
# Prompts from the novel the models learn from; the last is longer than the window, so the window slides at once.
PROMPTS = ("It is a truth", "Mr. Bennet was",
           "\"My dear Mr. Bennet,\" said his lady to him one day, \"have you heard that")
# Test windows the exports are verified on (each conversion is verified on all of them, once per mode).
TEST_WINDOWS = 300
# In a model this small the flatbuffer's fixed part, not the weights, makes most of an int8 file, so the size gate is
# off here; models of real size are held to it (novels: 0.26 for the LSTM, 0.31 for the transformer).
TEST_GATES = VerificationGates(int8_max_size_ratio=1.0)
# A few seconds of training each; a tiny LSTM climbs off the character frequencies only with a large learning rate.
_SETTINGS = {
    "transformer_lm": (3e-3, "model.transformer_lm.embedding_dim=32,model.transformer_lm.num_layers=1,"
                             "model.transformer_lm.ff_dim=64,model.transformer_lm.num_heads=2"),
    "lstm_lm": (1e-2, "model.lstm_lm.embedding_dim=16,model.lstm_lm.lstm_units=48"),
}
_EPOCHS = 10


def novel_slice(root: pathlib.Path) -> str:
  """About 60,000 characters of Pride and Prejudice as a user's text file (`--dataset=text:PATH`); returns its path."""
  root = shared_root(root)
  path = root / "language_models" / "pride.txt"
  with built_by_one(root, "pride_text"):
    if path.exists():
      return str(path)
    corpus = load_corpus(DataConfig(dataset="novels"))
    text = "".join(block for split in ("train", "validation", "test") for block in corpus.texts(split))
    start = text.index("It is a truth universally acknowledged")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text[start:start + 60000], encoding="utf-8")
  return str(path)


def trained_language_model(root: pathlib.Path, model: str) -> str:
  """Trains a tiny `model` (`transformer_lm` or `lstm_lm`) on `novel_slice` into `root` once; returns its folder."""
  root = shared_root(root)
  folder = root / "language_models" / model
  with built_by_one(root, f"trained_{model}"):
    if (folder / "model.keras").exists():
      return str(folder)
    learning_rate, params = _SETTINGS[model]
    # The text is prepared into a cache of the tests' own.
    config = config_from_flags(model=model, dataset=f"text:{novel_slice(root)}", data_dir=str(root / "cache"),
                               epochs=_EPOCHS, batch_size=16,
                               learning_rate=learning_rate, strategy="default",
                               params=f"{params},data.sequence_length={SEQUENCE_LENGTH}")
    train(config, str(folder))
  return str(folder)


def exported_language_model(root: pathlib.Path, model: str) -> tuple[str, dict]:
  """Exports `trained_language_model(root, model)` in all four modes once; returns (export directory, report)."""
  root = shared_root(root)
  model_dir = trained_language_model(root, model)
  export_dir = root / "language_model_exports" / model
  with built_by_one(root, f"exported_{model}"):
    if not (export_dir / "report.json").exists():
      Exporter(model_dir, str(export_dir), max_examples=TEST_WINDOWS, gates=TEST_GATES, log=lambda line: None).run()
  with open(export_dir / "report.json", encoding="utf-8") as f:
    return str(export_dir), json.load(f)
