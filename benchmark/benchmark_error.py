"""The error of the benchmark tool."""

from tfmodels import cli


@cli.register_user_error
class BenchmarkError(RuntimeError):
  """A benchmark cannot run or a measurement failed; the message names the cause (and the worker's log)."""
