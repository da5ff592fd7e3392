"""Tests of tfmodels/cli.py and tfmodels/user_error.py: one base for every user error, caught in one place."""

import subprocess
import sys

import pytest

from benchmark.benchmark_error import BenchmarkError
from edge.edge_error import EdgeError
from export.export_error import ExportError
from tfmodels import cli
from tfmodels.config import ConfigError
from tfmodels.data.data_error import DataError
from tfmodels.serving.serving_error import ServingError
from tfmodels.training.model_artifact import ArtifactError
from tfmodels.training.trainer import TrainingError
from tfmodels.user_error import UserError

_USER_ERRORS = (ConfigError, DataError, TrainingError, ArtifactError, ExportError, ServingError, EdgeError,
                BenchmarkError)


@pytest.mark.parametrize("error_class", _USER_ERRORS)
def test_every_layers_error_is_a_user_error_printed_without_a_traceback(error_class, capsys):
  assert issubclass(error_class, UserError)
  with pytest.raises(SystemExit) as exit_info:
    with cli.user_errors_exit():
      raise (error_class("the problem, and the way out", "server") if error_class is ServingError
             else error_class("the problem, and the way out"))
  assert exit_info.value.code == 1
  assert capsys.readouterr().err == "error: the problem, and the way out\n"


def test_any_other_error_keeps_its_traceback():
  with pytest.raises(KeyError):
    with cli.user_errors_exit():
      raise KeyError("a bug")


def test_the_user_error_base_and_the_cli_import_nothing_of_tensorflow():
  code = ("import sys, tfmodels.cli, tfmodels.user_error, edge.edge_error; "
          "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
  result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
  assert result.stdout.strip() == "[]"
