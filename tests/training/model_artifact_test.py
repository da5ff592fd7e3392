"""Tests of tfmodels/training/model_artifact.py: damaged model directories and unusable output directories."""

import json
import os
import re
import zipfile

import pytest

from tfmodels.config import ExperimentConfig
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact
from tfmodels.training.writable_directory import check_writable_dir

_DATASET = {"name": "digits", "kind": "image", "feature_shape": [8, 8, 1], "label_names": [str(i) for i in range(10)]}


def _model_dir(root, model_bytes: bytes | None = None):
  """A model directory as the trainer writes it; `model.keras` a small zip with the members Keras writes."""
  root.mkdir()
  (root / "config.json").write_text(json.dumps(ExperimentConfig().to_dict()))
  (root / "dataset.json").write_text(json.dumps(_DATASET))
  if model_bytes is None:
    with zipfile.ZipFile(root / "model.keras", "w") as archive:
      for name in ("metadata.json", "config.json", "model.weights.h5"):
        archive.writestr(name, f"{name} " * 50)
  else:
    (root / "model.keras").write_bytes(model_bytes)
  return root


def test_a_complete_directory_loads(tmp_path):
  artifact = ModelArtifact.load(str(_model_dir(tmp_path / "model")))
  assert (artifact.kind, artifact.feature_shape, artifact.dataset_name) == ("image", (8, 8, 1), "digits")


def _truncated(root):
  data = (root / "model.keras").read_bytes()
  (root / "model.keras").write_bytes(data[:len(data) // 2])


def _flipped_byte(root):
  data = bytearray((root / "model.keras").read_bytes())
  data[60] ^= 0xFF  # inside the first member's data: its CRC no longer matches
  (root / "model.keras").write_bytes(bytes(data))


def _without_weights(root):
  with zipfile.ZipFile(root / "model.keras", "w") as archive:
    archive.writestr("config.json", "{}")


@pytest.mark.parametrize("damage, fragment", [
    (lambda root: (root / "model.keras").write_bytes(b"garbage"), "model.keras is not a readable Keras model"),
    (_truncated, "model.keras is not a readable Keras model"),
    (_flipped_byte, "model.keras is damaged (metadata.json fails its checksum)"),
    (_without_weights, "model.keras is damaged (no model.weights.h5)"),
    (lambda root: (root / "config.json").write_text("{not json"), "config.json is not valid JSON"),
    (lambda root: (root / "dataset.json").write_bytes(b"\xff\xfe{}"), "dataset.json is not valid JSON"),
    (lambda root: (root / "dataset.json").write_text("{}"), "dataset.json is not a data set description"),
])
def test_a_damaged_file_is_named_with_the_way_out(tmp_path, damage, fragment):
  root = _model_dir(tmp_path / "model")
  damage(root)
  with pytest.raises(ArtifactError) as error:
    ModelArtifact.load(str(root))
  assert fragment in str(error.value) and "train again into a new --model_dir" in str(error.value)


def test_a_file_given_as_model_dir_is_not_called_missing(tmp_path):
  (tmp_path / "model.keras").write_bytes(b"")
  with pytest.raises(ArtifactError, match="is a file, not a model directory: give the directory that holds"):
    ModelArtifact.load(str(tmp_path / "model.keras"))


def test_check_writable_dir_creates_nothing(tmp_path):
  check_writable_dir(str(tmp_path / "new" / "deeper"), "model_dir")
  assert os.listdir(tmp_path) == []
  (tmp_path / "file").write_text("")
  for path, fragment in ((str(tmp_path / "file"), "is a file"), (str(tmp_path / "file" / "x"), "which is a file"),
                         ("", "is empty")):
    with pytest.raises(ArtifactError, match=fragment):
      check_writable_dir(path, "export_dir")


@pytest.mark.parametrize("trained_on, label_names", [
    ("csv:{}/reviews.csv", ["negative", "positive"]), ("text:{}/book.txt", []), ("images:{}/photos", ["cat", "dog"])])
def test_training_data_that_moved_is_named_with_the_flag_that_points_at_its_new_place(tmp_path, trained_on,
                                                                                      label_names):
  model_dir = _model_dir(tmp_path / "model")
  config = ExperimentConfig().to_dict()
  config["data"]["dataset"] = trained_on.format(tmp_path)
  (model_dir / "config.json").write_text(json.dumps(config))
  (model_dir / "dataset.json").write_text(json.dumps({**_DATASET, "label_names": label_names}))
  artifact = ModelArtifact.load(str(model_dir))
  prefix, path = trained_on.format(tmp_path).split(":", 1)
  same = " (the same labels)" if label_names else ""
  with pytest.raises(ArtifactError, match=re.escape(
      f"is gone: {path} does not exist. If it was moved, give its new place with --dataset={prefix}:NEW_PATH{same}, "
      "or put it back.")):
    artifact.data_config()
  assert artifact.data_config(f"{prefix}:/new/place").dataset == f"{prefix}:/new/place"
  (tmp_path / os.path.basename(path)).write_text("back")
  assert artifact.data_config() == artifact.config.data
