"""Tests of tools/export.py, run as a user runs it."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.export.conftest import trained_model_dir

_REPO = pathlib.Path(__file__).resolve().parents[2]


def _run(*arguments: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, "tools/export.py", *arguments], cwd=_REPO, capture_output=True, text=True,
                        timeout=600, check=False)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
  return trained_model_dir(tmp_path_factory.getbasetemp(), "cnn")


def test_export_writes_verified_artifacts(model_dir, tmp_path):
  result = _run(f"--model_dir={model_dir}", f"--export_dir={tmp_path}", "--modes=float32,full_int8",
                "--max_examples=100")
  assert result.returncode == 0, result.stderr[-2000:]
  with open(tmp_path / "report.json") as f:
    report = json.load(f)
  assert report["passed"] and report["modes"] == ["float32", "full_int8"]
  assert os.listdir(tmp_path / "serving" / "digits_cnn") == ["1"]
  assert (tmp_path / "tflite" / "digits_cnn_full_int8.json").exists()


def test_a_failed_gate_exits_1_naming_the_artifact_and_the_figure(model_dir, tmp_path):
  result = _run(f"--model_dir={model_dir}", f"--export_dir={tmp_path}", "--modes=float32", "--max_examples=50",
                "--float32_max_logit_error=0")
  assert result.returncode == 1
  assert "tflite float32: max_abs_logit_error" in result.stderr and "> 0 (gate for float32)" in result.stderr
  assert (tmp_path / "report.json").exists()


def test_user_errors_exit_1_with_the_fix(model_dir, tmp_path):
  result = _run(f"--model_dir={model_dir}", f"--export_dir={tmp_path}", "--modes=float32,int4")
  assert result.returncode == 1
  assert result.stderr.strip().splitlines()[-1].startswith("error: Unknown TFLite mode(s) int4")
  result = _run(f"--model_dir={tmp_path / 'nothing'}", f"--export_dir={tmp_path}")
  assert result.returncode == 1 and "Train a model first" in result.stderr and "Traceback" not in result.stderr
  assert not os.listdir(tmp_path)


def test_extra_arguments_are_a_usage_error(tmp_path):
  result = _run("--model_dir=x", f"--export_dir={tmp_path}", "stray")
  assert result.returncode != 0 and "Unexpected arguments: stray" in result.stderr
