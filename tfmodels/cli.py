"""What the command-line tools share: turning the project's own errors into a clear message and exit code 1."""

from __future__ import annotations

import contextlib
import sys

from tfmodels.config import ConfigError

# Errors whose message already names the problem and the way out; anything else is a bug and keeps its traceback.
USER_ERRORS: list[type[Exception]] = [ConfigError]


def register_user_error(error_class: type[Exception]) -> type[Exception]:
  """Marks an error class as one a tool reports as a message (usable as a class decorator)."""
  USER_ERRORS.append(error_class)
  return error_class


@contextlib.contextmanager
def user_errors_exit():
  """Prints a user error as `error: <message>` on stderr and exits 1, without a traceback.

  Also quiets TensorFlow's and absl's INFO logging, which would bury the tool's own progress lines.
  """
  from absl import logging  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.WARNING)
  try:
    yield
  except tuple(USER_ERRORS) as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(1)
