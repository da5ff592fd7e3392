"""The model the robustness cases share: the digits CNN trained once by the real tool (2 epochs, two checkpoints)."""

import pytest

from tests.robustness.tool_runs import run_tool

# Every case that trains into a copy of this model must give the same flags, or the copy holds "a different run".
TRAIN_FLAGS = ("--model=cnn", "--dataset=digits", "--epochs=2", "--strategy=default")


@pytest.fixture(scope="session")
def trained_digits(tmp_path_factory) -> str:
  """A finished model directory; cases that damage it work on a copy."""
  model_dir = tmp_path_factory.mktemp("robustness") / "digits_cnn"
  result = run_tool("train.py", *TRAIN_FLAGS, f"--model_dir={model_dir}")
  assert result.returncode == 0, result.stderr[-3000:]
  return str(model_dir)
