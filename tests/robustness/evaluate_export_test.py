"""tools/evaluate.py and tools/export.py on damaged or unusable model directories: refused, nothing written."""

import json
import os
import shutil

import pytest

from tests.robustness.tool_runs import assert_refused, run_tool, snapshot


def _truncated_model(model_dir):
  path = os.path.join(model_dir, "model.keras")
  os.truncate(path, os.path.getsize(path) // 2)


def _garbage_model(model_dir):
  with open(os.path.join(model_dir, "model.keras"), "wb") as f:
    f.write(b"not a zip archive")


def _config_not_json(model_dir):
  with open(os.path.join(model_dir, "config.json"), "w", encoding="utf-8") as f:
    f.write('{"model": ')


# Both tools read a model directory through ModelArtifact.load: each damage is run through one tool or both.
@pytest.mark.parametrize("tool, damage, phrases", [
    ("evaluate.py", _garbage_model, ("model.keras is not a readable Keras model", "truncated or damaged")),
    ("export.py", _truncated_model, ("model.keras is not a readable Keras model", "truncated or damaged")),
    ("export.py", _config_not_json, ("config.json is not valid JSON",)),
])
def test_a_damaged_model_directory(trained_digits, tmp_path, tool, damage, phrases):
  model_dir = tmp_path / "model"
  shutil.copytree(trained_digits, model_dir)
  damage(model_dir)
  before = snapshot(model_dir)
  export = ("--export_dir=" + str(tmp_path / "out"),) if tool == "export.py" else ()
  assert_refused(run_tool(tool, f"--model_dir={model_dir}", *export), *phrases,
                 "Copy the model directory again", "or train again into a new --model_dir")
  assert snapshot(model_dir) == before
  assert not (tmp_path / "out").exists()


def test_evaluate_on_a_file(trained_digits):
  assert_refused(run_tool("evaluate.py", f"--model_dir={os.path.join(trained_digits, 'model.keras')}"),
                 "model.keras' is a file, not a model directory", "give the directory that holds model.keras")


def test_evaluate_on_a_read_only_model_dir_prints_the_figures_first(trained_digits):
  # As root, CI cannot make a directory unwritable: the child's Python writes under it fail with EROFS instead.
  before = snapshot(trained_digits)
  result = run_tool("evaluate.py", f"--model_dir={trained_digits}", read_only=(trained_digits,))
  assert_refused(result, "The figures above are not saved", "(Read-only file system)",
                 "Choose a --output_dir you can write to", "--output_dir defaults to the model directory")
  with open(os.path.join(trained_digits, "evaluation.json"), encoding="utf-8") as f:
    assert json.loads(result.stdout)["accuracy"] == pytest.approx(json.load(f)["accuracy"], abs=1e-9)
  assert snapshot(trained_digits) == before
