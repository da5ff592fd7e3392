"""Tests of benchmark/cold_start.py with plain Python commands (the real commands: inference_runtimes_test.py)."""

import pytest

from benchmark import cold_start
from benchmark.benchmark_error import BenchmarkError


def test_time_to_the_first_line():
  seconds = cold_start.time_to_first_line(cold_start.python_command(cold_start.PYTHON_START))
  assert 0 < seconds < 30


def test_a_failing_command_is_reported_with_its_errors():
  with pytest.raises(BenchmarkError, match="ZeroDivisionError"):
    cold_start.time_to_first_line(cold_start.python_command("1 / 0"))


def test_edge_imports_do_not_include_tensorflow():
  assert not cold_start.imports_tensorflow(cold_start.python_command(cold_start.EDGE_IMPORTS))
  assert cold_start.imports_tensorflow(cold_start.python_command("import tensorflow"))


def test_commands_pass_the_same_input():
  image, text = {"image": "digit.png"}, {"text": "a gripping film"}
  assert cold_start.edge_command("m.tflite", image)[-2:] == ["--model=m.tflite", "digit.png"]
  assert cold_start.tensorflow_command("sm/1", text)[-2:] == ["--saved_model=sm/1", "--text=a gripping film"]
