"""Tests of tools/serving_repository.py, run as a user runs it, on a repository of (empty) version directories."""

import os
import pathlib
import subprocess
import sys

from export.serving.serving_repository import ServingRepository

_REPO = pathlib.Path(__file__).resolve().parents[2]


def _run(*arguments: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, "tools/serving_repository.py", *arguments], cwd=_REPO, capture_output=True,
                        text=True, timeout=300, check=False)


def test_labels_move_and_old_versions_go(tmp_path):
  for version in (1, 2, 3):
    os.makedirs(tmp_path / "digits_cnn" / str(version))
  os.makedirs(tmp_path / "rt_lstm" / "1")
  repository = ServingRepository(str(tmp_path))
  repository.update("digits_cnn", set_labels={"stable": 1, "canary": 2}, log=lambda line: None)
  result = _run(f"--serving_dir={tmp_path}", "--model=digits_cnn", "--label=stable=2", "--label=canary=3",
                "--keep=1")
  assert result.returncode == 0, result.stderr
  assert result.stdout.splitlines() == ["Pruned digits_cnn versions 1 (--keep=1).", f"Wrote {tmp_path}/models.config",
                                        "digits_cnn: versions 2, 3; served 2, 3; labels canary=3, stable=2",
                                        "rt_lstm: versions 1; served the newest"]
  assert repository.labels() == {"digits_cnn": {"stable": 2, "canary": 3}, "rt_lstm": {}}


def test_mistakes_exit_1_with_the_way_out(tmp_path):
  os.makedirs(tmp_path / "digits_cnn" / "1")
  result = _run(f"--serving_dir={tmp_path}", "--model=digits_cnn", "--label=stable=4")
  assert result.returncode == 1 and "Traceback" not in result.stderr
  assert "error: Label stable points at version 4 of digits_cnn, which is not published (published: 1)" in \
      result.stderr
  assert not os.path.exists(tmp_path / "models.config")
  result = _run(f"--serving_dir={tmp_path}", "--keep=1")
  assert result.returncode != 0 and "need --model=NAME" in result.stderr


def test_a_serving_dir_that_is_missing_or_a_file_is_named_as_such(tmp_path):
  (tmp_path / "a_file").write_text("kept")
  for path, problem in ((tmp_path / "nowhere", "does not exist"), (tmp_path / "a_file", "is a file")):
    for arguments in ((), ("--model=digits_cnn", "--label=stable=1")):
      result = _run(f"--serving_dir={path}", *arguments)
      assert result.returncode == 1 and "Traceback" not in result.stderr
      assert f"error: {path} {problem}: give the serving folder an export wrote (EXPORT_DIR/serving" in result.stderr
  assert sorted(os.listdir(tmp_path)) == ["a_file"]


def test_the_tool_runs_without_importing_tensorflow(tmp_path):
  # It only reads and rewrites files, so it starts at once, on a serving host too.
  code = ("import runpy, sys\nsys.argv = ['tools/serving_repository.py', sys.argv[1]]\ntry:\n"
          "  runpy.run_path(sys.argv[0], run_name='__main__')\nexcept SystemExit:\n  pass\n"
          "print('tensorflow imported' if 'tensorflow' in sys.modules else 'tensorflow not imported')")
  result = subprocess.run([sys.executable, "-c", code, f"--serving_dir={tmp_path / 'nowhere'}"], cwd=_REPO,
                          capture_output=True, text=True, timeout=120, check=True)
  assert "does not exist" in result.stderr and result.stdout.strip() == "tensorflow not imported", result
