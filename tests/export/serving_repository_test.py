"""Tests of export/serving/serving_repository.py: models.config (parsed back with TF Serving's protos), labels, pruning."""

import os

from google.protobuf import text_format
import pytest
from tensorflow_serving.config import model_server_config_pb2

from export.serving.batching_parameters import BatchingParameters
from export.export_error import ExportError
from export.serving.serving_repository import ServingRepository, check_options, parse_labels


def _repository(tmp_path, versions: dict) -> ServingRepository:
  """A repository with empty version directories: {model: [versions]}."""
  for name, numbers in versions.items():
    for number in numbers:
      os.makedirs(tmp_path / "serving" / name / str(number))
  return ServingRepository(str(tmp_path / "serving"))


def _parsed_config(repository: ServingRepository) -> dict:
  with open(repository.config_path, encoding="utf-8") as f:
    config = text_format.Parse(f.read(), model_server_config_pb2.ModelServerConfig())
  return {entry.name: entry for entry in config.model_config_list.config}


def test_models_config_lists_every_model_with_a_published_version(tmp_path):
  repository = _repository(tmp_path, {"digits_cnn": [1, 2], "rt_lstm": [3], "empty": []})
  for hidden in ("digits_cnn/.tmp-3-abc", "digits_cnn/.rejected-3", ".tmp-export-x"):
    os.makedirs(tmp_path / "serving" / hidden)
  assert repository.model_names() == ["digits_cnn", "rt_lstm"] and repository.versions("digits_cnn") == [1, 2]
  repository.update(log=lambda line: None)
  entries = _parsed_config(repository)
  assert list(entries) == ["digits_cnn", "rt_lstm"]
  assert entries["digits_cnn"].base_path == "/models/digits_cnn" and entries["rt_lstm"].base_path == "/models/rt_lstm"
  assert {entry.model_platform for entry in entries.values()} == {"tensorflow"}
  # No labels: the default policy, which serves the newest version.
  assert not entries["digits_cnn"].HasField("model_version_policy") and not entries["digits_cnn"].version_labels
  # Written atomically, with the batching file beside it.
  assert sorted(name for name in os.listdir(repository.root) if not os.path.isdir(repository.model_root(name))) == [
      "batching_parameters.txt", "models.config"]
  assert repository.batching_parameters() == BatchingParameters()
  assert os.stat(repository.config_path).st_mode & 0o777 == 0o644


def test_labels_pin_their_versions_and_survive_regeneration(tmp_path):
  repository = _repository(tmp_path, {"digits_cnn": [1, 2, 3], "rt_lstm": [1]})
  repository.update("digits_cnn", set_labels={"stable": 1, "canary": 2}, log=lambda line: None)
  entry = _parsed_config(repository)["digits_cnn"]
  assert dict(entry.version_labels) == {"stable": 1, "canary": 2}
  # TF Serving labels only loaded versions: the labelled ones are served, and the newest.
  assert list(entry.model_version_policy.specific.versions) == [1, 2, 3]
  repository.update("rt_lstm", log=lambda line: None)  # another model's export keeps these labels
  assert dict(_parsed_config(repository)["digits_cnn"].version_labels) == {"stable": 1, "canary": 2}
  repository.update("digits_cnn", set_labels={"stable": 3}, remove_labels=["canary"], log=lambda line: None)
  entry = _parsed_config(repository)["digits_cnn"]
  assert dict(entry.version_labels) == {"stable": 3} and list(entry.model_version_policy.specific.versions) == [3]
  assert repository.summary() == ["digits_cnn: versions 1, 2, 3; served 3; labels stable=3",
                                  "rt_lstm: versions 1; served the newest"]


def test_a_label_must_name_a_published_version(tmp_path):
  repository = _repository(tmp_path, {"digits_cnn": [1, 2]})
  with pytest.raises(ExportError, match=r"Label canary points at version 5 of digits_cnn, which is not published "
                                        r"\(published: 1, 2\)"):
    repository.update("digits_cnn", set_labels={"canary": 5})
  assert not os.path.exists(repository.config_path)
  # The version an export is about to publish may be labelled.
  assert repository.new_labels("digits_cnn", {"canary": 3}, pending_version=3) == {"canary": 3}
  with pytest.raises(ExportError, match="--remove_label=beta: digits_cnn has no label beta"):
    repository.new_labels("digits_cnn", remove_labels=["beta"])
  with pytest.raises(ExportError, match="holds no published version of digits_lstm"):
    repository.update("digits_lstm", set_labels={"stable": 1})
  assert parse_labels(["stable=3", "canary_2=10"]) == {"stable": 3, "canary_2": 10}
  for bad in ("stable", "stable=x", "stable=0", "sta-ble=1", "=1"):
    with pytest.raises(ExportError, match="write NAME=VERSION"):
      parse_labels([bad])


def test_a_label_on_a_vanished_version_is_dropped_with_a_note(tmp_path):
  repository = _repository(tmp_path, {"digits_cnn": [1, 2]})
  repository.update("digits_cnn", set_labels={"stable": 1}, log=lambda line: None)
  os.rmdir(os.path.join(repository.model_root("digits_cnn"), "1"))
  notes = []
  repository.update(log=notes.append)
  assert notes == ["Label stable of digits_cnn dropped: version 1 is gone."]
  assert not _parsed_config(repository)["digits_cnn"].version_labels


def test_the_base_path_is_configurable_and_kept(tmp_path):
  repository = _repository(tmp_path, {"digits_cnn": [1]})
  repository.update(base_path="/srv/tf/", log=lambda line: None)
  assert _parsed_config(repository)["digits_cnn"].base_path == "/srv/tf/digits_cnn"
  repository.update("digits_cnn", log=lambda line: None)
  assert _parsed_config(repository)["digits_cnn"].base_path == "/srv/tf/digits_cnn"
  with pytest.raises(ExportError, match="--serving_base_path is empty"):
    check_options(base_path=" ")
  with pytest.raises(ExportError, match="--keep=0: keep at least 1"):
    check_options(keep=0)


def test_pruning_keeps_the_newest_the_protected_and_the_labelled(tmp_path):
  repository = _repository(tmp_path, {"digits_cnn": [1, 2, 3, 4, 5, 6]})
  repository.update("digits_cnn", set_labels={"stable": 2}, log=lambda line: None)
  notes = []
  # Version 4 is the one just written (an explicit --version below the newest).
  repository.update("digits_cnn", keep=2, protect=[4], log=notes.append)
  assert repository.versions("digits_cnn") == [2, 4, 5, 6]
  assert notes == ["Pruned digits_cnn versions 1, 3 (--keep=2)."]
  assert repository.prune("digits_cnn", keep=1) == [2, 4, 5]
  assert sorted(os.listdir(repository.model_root("digits_cnn"))) == ["6"]  # nothing hidden left behind


def test_damaged_files_are_refused_with_the_way_out(tmp_path):
  repository = _repository(tmp_path, {"digits_cnn": [1]})
  with open(repository.config_path, "w", encoding="utf-8") as f:
    f.write("model_config_list { config { nme: 'x' } }")
  with pytest.raises(ExportError, match="models.config is not a text-format ModelServerConfig.*delete it"):
    repository.update("digits_cnn")
  os.remove(repository.config_path)
  repository.update(log=lambda line: None)
  with open(repository.batching_path, "w", encoding="utf-8") as f:
    f.write("max_batch_size { value: 8 }\nnum_batch_threads { value: 2 }\n")  # a user's tuning
  repository.update(log=lambda line: None)
  assert repository.batching_parameters().max_batch_size == 8  # kept
  with open(repository.batching_path, "a", encoding="utf-8") as f:
    f.write("max_batch_size: oops\n")
  with pytest.raises(ExportError, match="batching_parameters.txt is not a text-format BatchingParameters"):
    repository.batching_parameters()
