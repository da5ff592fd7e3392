"""Tests of `tools/prepare_data.py`, run as a user runs it."""

import pathlib
import subprocess
import sys

_TOOL = pathlib.Path(__file__).resolve().parents[2] / "tools" / "prepare_data.py"
_TEXT = "It was the best of times, it was the worst of times; it was the age of wisdom.\n"


def _prepare(*flags: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, str(_TOOL), *flags], capture_output=True, text=True, timeout=300)


def test_a_labelled_set_and_a_corpus_are_prepared_and_described(tmp_path):
  (tmp_path / "books").mkdir()
  (tmp_path / "books" / "a.txt").write_text(_TEXT * 400, encoding="utf-8")
  result = _prepare("--dataset=digits", f"--dataset=text:{tmp_path / 'books'}", "--sequence_length=64",
                    f"--data_dir={tmp_path / 'cache'}")
  assert result.returncode == 0, result.stderr
  assert "digits: image, 10 classes, feature shape (8, 8, 1): train 1259 (1 record file(s))" in result.stdout
  assert (f"text:{tmp_path / 'books'}: corpus of 1 document(s) in blocks of 4096 characters, windows of 65: "
          in result.stdout)
  assert "test 4,096 characters, 63 windows (1 record file(s))" in result.stdout


def test_bad_input_is_named_without_a_traceback(tmp_path):
  (tmp_path / "a.txt").write_bytes(b"caf\xe9")
  result = _prepare(f"--dataset=text:{tmp_path / 'a.txt'}", f"--data_dir={tmp_path / 'cache'}")
  assert result.returncode == 1
  assert "a.txt is not UTF-8: byte 0xe9 at byte offset 3 (line 1)" in result.stderr
  assert "Traceback" not in result.stderr
