"""Whether a directory a tool is to write can be written, checked before anything is; imports nothing of TensorFlow,
so a tool names a wrong directory at once instead of after TensorFlow's start-up."""

from __future__ import annotations

import os
import tempfile

from tfmodels.training.artifact_error import ArtifactError


def check_writable_dir(path: str, flag: str) -> None:
  """Raises `ArtifactError` naming `--flag` and the way out when `path` cannot be created and written.

  Creates nothing: a directory that does not exist yet is checked through its nearest existing parent.
  """
  if not path:
    raise ArtifactError(f"--{flag} is empty: give the directory to write to, e.g. --{flag}=runs/digits_cnn.")
  existing = os.path.abspath(path)
  while not os.path.lexists(existing) and existing != os.path.dirname(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    where = "is a file" if existing == os.path.abspath(path) else f"is inside {existing}, which is a file"
    raise ArtifactError(f"--{flag}={path} {where}, not a directory. Choose another --{flag}, or move the file away.")
  try:
    with tempfile.TemporaryFile(dir=existing):
      pass
  except OSError as error:
    raise ArtifactError(f"Cannot write to --{flag}={path}: {existing} is not writable ({error.strerror or error}). "
                        f"Choose a --{flag} you can write to, or make {existing} writable.") from None
