"""Tests of tfmodels/atomic_files.py: whole files or none, readable by all, synced before the rename."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from tfmodels import atomic_files

_REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def private_umask():
  """A umask that would make new files private: published files must be 0644 whatever it is."""
  previous = os.umask(0o077)
  yield
  os.umask(previous)


def test_a_write_replaces_the_file_instead_of_rewriting_it(tmp_path, private_umask):
  path = tmp_path / "history.json"
  atomic_files.write_json(path, {"b": 1, "a": [2]})
  with open(path, encoding="utf-8") as reader:  # a reader that opened the old file before the next write
    atomic_files.write_json(path, {"a": 3})
    assert json.load(reader) == {"a": [2], "b": 1}  # still reads the old file whole: it was replaced, not truncated
  assert path.read_text(encoding="utf-8") == '{\n  "a": 3\n}\n'
  assert os.stat(path).st_mode & 0o777 == 0o644
  assert sorted(os.listdir(tmp_path)) == ["history.json"]


def test_text_and_bytes_are_written_as_given(tmp_path, private_umask):
  atomic_files.write_text(tmp_path / "vocabulary.txt", "é\n[UNK]\n")
  atomic_files.write_bytes(tmp_path / "model.tflite", b"\x00\x01TFL3")
  assert (tmp_path / "vocabulary.txt").read_bytes() == "é\n[UNK]\n".encode("utf-8")
  assert (tmp_path / "model.tflite").read_bytes() == b"\x00\x01TFL3"
  assert {os.stat(tmp_path / name).st_mode & 0o777 for name in os.listdir(tmp_path)} == {0o644}


def test_writing_yields_a_hidden_temporary_path_beside_the_target_and_publishes_it(tmp_path, private_umask):
  path = tmp_path / "model.keras"
  with atomic_files.writing(path, ".keras") as temporary:
    assert os.path.dirname(temporary) == str(tmp_path)
    name = os.path.basename(temporary)
    assert name.startswith(".model.keras.") and name.endswith(".tmp.keras")  # the suffix libraries choose by
    assert not path.exists()
    pathlib.Path(temporary).write_bytes(b"weights")
  assert path.read_bytes() == b"weights" and not os.path.exists(temporary)
  assert os.stat(path).st_mode & 0o777 == 0o644


def test_an_error_inside_writing_leaves_the_target_untouched_and_no_temporary_file(tmp_path):
  path = tmp_path / "training_curves.png"
  path.write_bytes(b"old picture")
  with pytest.raises(RuntimeError, match="savefig failed"):
    with atomic_files.writing(path) as temporary:
      pathlib.Path(temporary).write_bytes(b"half a pic")
      raise RuntimeError("savefig failed")
  assert path.read_bytes() == b"old picture"
  assert sorted(os.listdir(tmp_path)) == ["training_curves.png"]


def test_a_failed_write_leaves_no_file(tmp_path):
  with pytest.raises(TypeError):
    atomic_files.write_bytes(tmp_path / "model.tflite", "not bytes")
  assert not os.listdir(tmp_path)


def test_publish_syncs_the_contents_before_the_rename(tmp_path, monkeypatch):
  calls = []
  real_fsync, real_replace = os.fsync, os.replace
  monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
  monkeypatch.setattr(os, "replace", lambda *paths: calls.append("replace") or real_replace(*paths))
  finished = tmp_path / "work" / "digits_cnn_float32.tflite"
  finished.parent.mkdir()
  finished.write_bytes(b"TFL3")
  os.chmod(finished, 0o600)
  atomic_files.publish(finished, tmp_path / "digits_cnn_float32.tflite")
  assert calls == ["fsync", "replace"]
  assert (tmp_path / "digits_cnn_float32.tflite").read_bytes() == b"TFL3" and not finished.exists()
  assert os.stat(tmp_path / "digits_cnn_float32.tflite").st_mode & 0o777 == 0o644


def test_the_module_imports_nothing_heavy():
  # The edge runtime, which runs without TensorFlow or numpy, writes its files with it.
  heavy = ("tensorflow", "keras", "numpy", "matplotlib")
  code = f"import sys, tfmodels.atomic_files; print(sorted(m for m in {heavy!r} if m in sys.modules))"
  result = subprocess.run([sys.executable, "-c", code], cwd=_REPO, capture_output=True, text=True, check=True)
  assert result.stdout.strip() == "[]"
