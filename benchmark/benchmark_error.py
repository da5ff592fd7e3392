"""The error of the benchmark tool."""

from tfmodels.user_error import UserError


class BenchmarkError(UserError, RuntimeError):
  """A benchmark cannot run or a measurement failed; the message names the cause (and the worker's log)."""
