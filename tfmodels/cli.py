"""What the command-line tools share: turning the project's own errors into a clear message and exit code 1."""

from __future__ import annotations

import contextlib
import sys

from tfmodels.user_error import UserError


@contextlib.contextmanager
def user_errors_exit():
  """Prints a user error as `error: <message>` on stderr and exits 1, without a traceback.

  Also quiets absl's INFO logging (TensorFlow's included), which would bury the tool's own progress lines, unless
  the command line sets `--verbosity`.
  """
  from absl import flags, logging  # pylint: disable=g-import-not-at-top
  if not flags.FLAGS["verbosity"].present:
    logging.set_verbosity(logging.WARNING)
  try:
    yield
  except UserError as error:  # its message names the problem and the way out; anything else is a bug
    print(f"error: {error}", file=sys.stderr)
    sys.exit(1)
