"""tools/evaluate.py and tools/export.py on damaged or unusable model directories: refused, nothing written."""

import json
import os
import shutil

from PIL import Image
import numpy as np
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


def test_evaluate_on_a_read_only_model_dir_prints_the_figures_first(trained_digits, tmp_path):
  # As root, CI cannot make a directory unwritable: the child's Python writes under it fail with EROFS instead.
  before = snapshot(trained_digits)
  result = run_tool("evaluate.py", f"--model_dir={trained_digits}", read_only=(trained_digits,))
  assert_refused(result, "The figures above are not saved", "(Read-only file system)",
                 "Choose a --output_dir you can write to", "--output_dir defaults to the model directory")
  with open(os.path.join(trained_digits, "evaluation.json"), encoding="utf-8") as f:
    assert json.loads(result.stdout)["accuracy"] == pytest.approx(json.load(f)["accuracy"], abs=1e-9)
  assert snapshot(trained_digits) == before
  elsewhere = run_tool("evaluate.py", f"--model_dir={trained_digits}", f"--output_dir={tmp_path}",
                       read_only=(trained_digits,))
  assert elsewhere.returncode == 0, elsewhere.stderr[-3000:]
  with open(tmp_path / "evaluation_test.json", encoding="utf-8") as f:
    assert json.load(f)["accuracy"] == json.loads(result.stdout)["accuracy"]


def _image_folder(path, labels):
  rng = np.random.default_rng(0)
  for label in labels:
    (path / label).mkdir(parents=True)
    for index in range(8):
      Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(path / label / f"{index}.png")


def test_training_data_that_was_moved(tmp_path):
  images, moved, out = tmp_path / "images", tmp_path / "moved", tmp_path / "out"
  _image_folder(images, ("cat", "dog", "fox"))
  model_dir = tmp_path / "model"
  trained = run_tool("train.py", "--model=cnn", f"--dataset=images:{images}", "--epochs=1", "--strategy=default",
                     f"--data_dir={tmp_path / 'data'}", f"--model_dir={model_dir}")
  assert trained.returncode == 0, trained.stderr[-3000:]
  images.rename(moved)
  before = snapshot(model_dir)
  for tool, output in (("evaluate.py", f"--output_dir={out}"), ("export.py", f"--export_dir={out}")):
    assert_refused(run_tool(tool, f"--model_dir={model_dir}", output),
                   f"The data this model was trained on, images:{images}, is gone", f"{images} does not exist",
                   "If it was moved, give its new place with --dataset=images:NEW_PATH (the same labels)")
    assert not out.exists()
  _image_folder(tmp_path / "other", ("cat", "dog", "owl"))
  assert_refused(run_tool("export.py", f"--model_dir={model_dir}", f"--export_dir={out}",
                          f"--dataset=images:{tmp_path / 'other'}"),
                 "has labels ['cat', 'dog', 'owl'], the model was trained on ['cat', 'dog', 'fox']")
  assert not out.exists() and snapshot(model_dir) == before
  exported = run_tool("export.py", f"--model_dir={model_dir}", f"--export_dir={out}", f"--dataset=images:{moved}",
                      "--modes=float32")
  assert exported.returncode == 0, exported.stderr[-3000:]
  with open(out / "report.json", encoding="utf-8") as f:
    assert json.load(f)["dataset"]["name"] == f"images:{moved}"
