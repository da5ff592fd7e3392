"""Tests of tools/export.py, run as a user runs it."""

import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

from export.serving.serving_versions import existing_versions
from export.serving.warmup_requests import WARMUP_FILE
from tests.export.conftest import trained_model_dir
from tests.serving.served_models import ServedModels

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


# Runs tools/export.py (arguments after the script) with the warmup writer replaced by one that writes part of the
# file, creates the file $WRITING names and waits: the test kills the process there, in the middle of writing a version.
_STALL_MID_WRITE = """
import os, runpy, sys, time
from export.serving import warmup_requests

def write_part(saved_model_dir, logs):
  path = os.path.join(saved_model_dir, warmup_requests.WARMUP_FILE)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "wb") as f:
    f.write(logs[0].SerializeToString()[:100])
  open(os.environ["WRITING"], "w").close()
  time.sleep(600)

warmup_requests.write_warmup_requests = write_part
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.slow
def test_an_export_killed_mid_write_leaves_the_served_version_intact(model_dir, tmp_path):
  arguments = [f"--model_dir={model_dir}", f"--export_dir={tmp_path}", "--modes=float32", "--max_examples=50"]
  assert _run(*arguments).returncode == 0
  serving, root = tmp_path / "serving", tmp_path / "serving" / "digits_cnn"
  config = (serving / "models.config").read_text()
  writing = tmp_path / "writing"
  process = subprocess.Popen([sys.executable, "-c", _STALL_MID_WRITE, "tools/export.py", *arguments], cwd=_REPO,
                             env={**os.environ, "WRITING": str(writing)}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
  deadline = time.monotonic() + 600
  while not writing.exists():
    assert process.poll() is None, process.stderr.read()[-2000:]
    assert time.monotonic() < deadline, "the export never reached the warmup file"
    time.sleep(0.05)
  process.kill()
  process.communicate()
  # Version 2 was being written in a hidden directory, which TF Serving ignores; version 1 and models.config are
  # untouched.
  staged = [name for name in os.listdir(root) if name.startswith(".tmp-2-")]
  assert len(staged) == 1 and (root / staged[0] / "saved_model.pb").exists()
  assert (root / staged[0] / WARMUP_FILE).stat().st_size == 100
  assert existing_versions(str(root)) == [1] and (serving / "models.config").read_text() == config
  # What a server loading the repository now serves: version 1, whole, its warmup requests replayed.
  models = ServedModels(str(serving))
  assert models.resolve("digits_cnn") == 1 and models.warmup_requests_run == 14
  outputs = models.predict("digits_cnn", 1, "serving_default", {"pixels": np.zeros((2, 8, 8, 1), np.uint8)})
  assert outputs["classes"].shape == (2,)
  # The next export publishes version 2 despite the leftover, and --keep=1 retires version 1.
  result = _run(*arguments, "--keep=1")
  assert result.returncode == 0, result.stderr[-2000:]
  assert existing_versions(str(root)) == [2]
  assert ServedModels(str(serving)).resolve("digits_cnn") == 2


def test_labels_are_checked_before_exporting(model_dir, tmp_path):
  result = _run(f"--model_dir={model_dir}", f"--export_dir={tmp_path}", "--label=stable=3")
  assert result.returncode == 1 and "Traceback" not in result.stderr
  assert "error: Label stable points at version 3 of digits_cnn, which is not published (published: none; version 1 " \
      "is being exported)" in result.stderr
  assert not os.listdir(tmp_path)


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
