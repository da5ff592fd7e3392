"""Time from starting a process to its first prediction, for several commands run in alternation."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

from benchmark.benchmark_error import BenchmarkError
from benchmark.worker_process import REPO_ROOT, subprocess_environment

# What the edge runtime imports, without the model: the floor under its cold start.
EDGE_IMPORTS = "from edge import EdgeClassifier; print('imported', flush=True)"
PYTHON_START = "print('started', flush=True)"


def edge_command(model_path: str, sample: dict) -> list[str]:
  """`tools/predict.py` on one image file or text."""
  inputs = [sample["image"]] if "image" in sample else [f"--text={sample['text']}"]
  return [sys.executable, os.path.join(REPO_ROOT, "tools", "predict.py"), f"--model={model_path}", *inputs]


def tensorflow_command(saved_model: str, sample: dict) -> list[str]:
  """`benchmark.tf_predict` (TensorFlow, the SavedModel) on the same input."""
  inputs = [sample["image"]] if "image" in sample else [f"--text={sample['text']}"]
  return [sys.executable, "-m", "benchmark.tf_predict", f"--saved_model={saved_model}", *inputs]


def python_command(code: str) -> list[str]:
  return [sys.executable, "-c", code]


def time_to_first_line(command: Sequence[str], timeout_s: float = 300.0) -> float:
  """Seconds from starting `command` to the first line it prints (it must then exit with status 0)."""
  with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errors:
    start = time.perf_counter()
    process = subprocess.Popen(list(command), cwd=REPO_ROOT, env=subprocess_environment(), stdout=subprocess.PIPE,
                               stderr=errors, text=True)
    try:
      line = process.stdout.readline()
      seconds = time.perf_counter() - start
      process.stdout.read()
      process.wait(timeout=timeout_s)
    finally:
      if process.poll() is None:
        process.kill()
        process.wait()
      process.stdout.close()
    if process.returncode != 0 or not line:
      errors.seek(0)
      raise BenchmarkError(f"{' '.join(command)} failed (status {process.returncode}):\n{errors.read()[-2000:]}")
  return seconds


def imports_tensorflow(command: Sequence[str]) -> bool:
  """Whether the Python `command` imports TensorFlow (read from `python -X importtime`)."""
  traced = [command[0], "-X", "importtime", *command[1:]]
  completed = subprocess.run(traced, cwd=REPO_ROOT, env=subprocess_environment(), capture_output=True, text=True,
                             timeout=300, check=False)
  if completed.returncode != 0:
    raise BenchmarkError(f"{' '.join(command)} failed (status {completed.returncode}):\n{completed.stderr[-2000:]}")
  return any(line.rsplit("|", 1)[-1].strip().split(".")[0] == "tensorflow" for line in completed.stderr.splitlines())
