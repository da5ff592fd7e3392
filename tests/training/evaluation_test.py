"""Tests of tfmodels/training/evaluation.py and tools/evaluate.py."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tfmodels.data import DataError
from tfmodels.training.evaluation import classification_figures, evaluate_artifact
from tfmodels.training.experiment import config_from_flags, train
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def digits_model_dir(tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp("digits"))
  train(config_from_flags(model="cnn", dataset="digits", epochs=3, strategy="default",
                          params="model.cnn.batch_norm=false"), model_dir)
  return model_dir


def test_classification_figures_by_hand():
  logits = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 2.0]])
  labels = np.array([0, 1, 1, 1])
  figures = classification_figures(logits, labels, ("a", "b"))
  assert figures["accuracy"] == 0.75
  assert figures["confusion_matrix"] == [[1, 0], [1, 2]]
  assert figures["per_class"]["b"] == {"precision": 1.0, "recall": 2 / 3, "support": 3}
  assert figures["per_class"]["a"]["precision"] == 0.5


def test_evaluation_matches_training_figures_and_draws_the_matrix(digits_model_dir, tmp_path):
  figures = evaluate_artifact(ModelArtifact.load(digits_model_dir), output_dir=str(tmp_path))
  with open(os.path.join(digits_model_dir, "evaluation.json")) as f:
    trained = json.load(f)
  assert figures["accuracy"] == pytest.approx(trained["accuracy"], abs=1e-9)
  assert figures["num_examples"] == trained["num_examples"]
  assert np.array(figures["confusion_matrix"]).sum() == trained["num_examples"]
  assert os.path.getsize(tmp_path / "confusion_matrix_test.png") > 10_000
  assert json.load(open(tmp_path / "evaluation_test.json"))["accuracy"] == figures["accuracy"]


def test_other_labels_are_refused(digits_model_dir):
  with pytest.raises(DataError, match="same label names"):
    evaluate_artifact(ModelArtifact.load(digits_model_dir), dataset_name="rotten_tomatoes")


def test_evaluate_tool(digits_model_dir, tmp_path):
  result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "evaluate.py"),
                           f"--model_dir={digits_model_dir}", "--split=validation", f"--output_dir={tmp_path}"],
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr
  assert json.loads(result.stdout)["split"] == "validation"
  assert (tmp_path / "confusion_matrix_validation.png").exists()


def test_evaluate_tool_without_a_model(tmp_path):
  result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "evaluate.py"), f"--model_dir={tmp_path}"],
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == 1
  assert "holds no trained model" in result.stderr and "Traceback" not in result.stderr


def test_artifact_load_errors(tmp_path):
  with pytest.raises(ArtifactError, match="does not exist"):
    ModelArtifact.load(str(tmp_path / "nothing"))
