"""Runs a script as a user runs it, in a Python where TensorFlow and Keras cannot be imported (the edge runtime)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

_REPO = pathlib.Path(__file__).resolve().parents[2]
# Runs `argv[1:]` as a script after making every import of TensorFlow, Keras or the serving protos fail, as on a
# device with only requirements-edge.txt installed.
_WITHOUT_TENSORFLOW = """
import importlib.abc
import runpy
import sys

class _Blocker(importlib.abc.MetaPathFinder):
  def find_spec(self, name, path=None, target=None):
    if name.partition(".")[0] in ("tensorflow", "keras", "tf_keras", "tensorflow_datasets", "tensorflow_serving"):
      raise ImportError(f"{name} cannot be imported on the edge")
    return None

sys.meta_path.insert(0, _Blocker())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_without_tensorflow(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
  """Runs `python SCRIPT ARGS...` (`arguments`) from the repository root with TensorFlow and Keras blocked."""
  environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
  return subprocess.run([sys.executable, "-c", _WITHOUT_TENSORFLOW, *arguments], cwd=_REPO, env=environment,
                        capture_output=True, text=True, timeout=timeout, check=False)
