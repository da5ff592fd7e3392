"""Small models trained on real data, once per pytest run, for the export tests.

The builders keep their model directories under pytest's base temporary folder, shared by the test processes of the
run (`tests/testing/shared_builds.py`), so tests in other folders (`tests/tools/export_test.py`) reuse them instead of
training again.
"""

from __future__ import annotations

import pathlib

import pytest

from export.exporter import Exporter
from tests.testing.shared_builds import built_by_one, shared_root
from tfmodels.training.experiment import config_from_flags, train

# Tiny text models: short sequences, a small vocabulary, narrow layers, one epoch (seconds on two cores).
_TEXT_PARAMS = ("data.sequence_length=32,data.max_tokens=5000,model.lstm.embedding_dim=32,model.lstm.lstm_units=16,"
                "model.transformer.embedding_dim=32,model.transformer.ff_dim=64,model.lstm.ngram_buckets=4096,"
                "model.transformer.ngram_buckets=4096")
# Text models are verified on this many test examples, which keeps their exports short.
TEXT_EXAMPLES = 400


def trained_model_dir(root: pathlib.Path, model: str) -> str:
  """Trains `model` (cnn on digits, lstm or transformer on Rotten Tomatoes) into `root/<model>` once; returns it."""
  root = shared_root(root)
  folder = root / "export_models" / model
  with built_by_one(root, f"export_model_{model}"):
    if (folder / "model.keras").exists():
      return str(folder)
    if model == "cnn":
      config = config_from_flags(model="cnn", dataset="digits", epochs=2, strategy="default")
    else:
      config = config_from_flags(model=model, dataset="rotten_tomatoes", epochs=1, strategy="default",
                                 params=_TEXT_PARAMS)
    train(config, str(folder))
  return str(folder)


@pytest.fixture(scope="session")
def digits_model_dir(tmp_path_factory) -> str:
  return trained_model_dir(tmp_path_factory.getbasetemp(), "cnn")


@pytest.fixture(scope="session")
def digits_export(digits_model_dir, tmp_path_factory) -> tuple[str, dict]:
  """The digits CNN exported in all four modes: (export directory, report)."""
  export_dir = str(tmp_path_factory.mktemp("digits_export"))
  return export_dir, Exporter(digits_model_dir, export_dir, log=lambda line: None).run()


@pytest.fixture(scope="session")
def lstm_model_dir(tmp_path_factory) -> str:
  return trained_model_dir(tmp_path_factory.getbasetemp(), "lstm")


@pytest.fixture(scope="session")
def transformer_model_dir(tmp_path_factory) -> str:
  return trained_model_dir(tmp_path_factory.getbasetemp(), "transformer")
