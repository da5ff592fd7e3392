"""Tests of tools/benchmark.py's command line (the measuring itself: tests/benchmark)."""

import pathlib
import subprocess
import sys

import pytest

_REPO = pathlib.Path(__file__).resolve().parents[2]


def _run(*arguments: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, str(_REPO / "tools" / "benchmark.py"), *arguments], cwd=_REPO,
                        capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("arguments,message", [
    (["--threads=one"], "--threads takes integers"),
    (["--architectures=gru"], "Unknown architecture(s) gru"),
    (["--repeats=2"], "repeats"),
    (["--model_dirs=cnn"], "ARCHITECTURE=DIR"),
    (["extra"], "Unexpected arguments"),
])
def test_bad_flags_are_refused_before_anything_runs(arguments, message, tmp_path):
  completed = _run(*arguments, f"--output_dir={tmp_path}", "--markdown=")
  assert completed.returncode != 0
  assert message in completed.stderr
  assert not list(tmp_path.iterdir())


def test_help_lists_the_flags():
  completed = _run("--help")
  for flag in ("--quick", "--json", "--markdown", "--output_dir", "--repeats", "--threads", "--architectures"):
    assert flag in completed.stdout
