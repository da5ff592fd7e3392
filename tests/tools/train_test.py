"""Tests of tools/train.py as a user runs it: clear errors, exit code 1, nothing written."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_train(*args):
  return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "train.py"), *args],
                        capture_output=True, text=True, timeout=300)


def write_bad_csv(directory):
  path = directory / "reviews.csv"
  path.write_text("review,score\ngreat film,1\nawful,0\n", encoding="utf-8")
  return f"csv:{path}"


def write_empty_label_folder(directory):
  (directory / "images" / "cat").mkdir(parents=True)
  (directory / "images" / "dog").mkdir(parents=True)
  return f"images:{directory / 'images'}"


@pytest.mark.parametrize("make_args, fragment", [
    (lambda d: ["--model=resnet", "--dataset=digits"], "value should be one of"),
    (lambda d: ["--model=cnn", "--dataset=mnist_fancy"], "mnist_fancy"),
    (lambda d: ["--model=cnn", f"--dataset=images:{d / 'missing'}"], "missing"),
    (lambda d: ["--model=lstm", f"--dataset={write_bad_csv(d)}"], "text"),
    (lambda d: ["--model=cnn", f"--dataset={write_empty_label_folder(d)}"], "no images"),
    (lambda d: ["--model=cnn", "--dataset=digits", "--params=trainer.epoch=3"], "trainer.epoch"),
])
def test_bad_input_exits_with_a_message_and_writes_nothing(tmp_path, make_args, fragment):
  model_dir = tmp_path / "model"
  result = run_train(*make_args(tmp_path), f"--model_dir={model_dir}")
  assert result.returncode == 1, result.stderr
  assert fragment in result.stderr
  assert "Traceback" not in result.stderr
  assert not (model_dir / "model.keras").exists()
  assert not (model_dir / "config.json").exists()


def test_extra_arguments_are_a_usage_error(tmp_path):
  result = run_train("--model=cnn", f"--model_dir={tmp_path}", "oops")
  assert result.returncode != 0
  assert "Unexpected arguments: oops" in result.stderr
