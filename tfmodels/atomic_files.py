"""Files written whole or not at all: the project's one way to publish a file.

Every file is written under a temporary name beside its target, flushed to the disk, made readable by all (0644:
temporary files are private, 0600, and what is published travels with a model or a report) and renamed onto the
target, which `os.replace` does atomically. A reader sees the previous file or the new one, never a part; a write
that fails removes its temporary file and leaves the target as it was.

The contents are synced (`os.fsync`) before the rename, for every file alike: without it, a power loss shortly
after the rename can leave an empty or partial file under the target's name on file systems that do not order
the data before the rename (XFS; ext4 without `auto_da_alloc`). The directory is not synced, so after a power loss
the target may still hold its previous version, never a broken one. The files are small, or written once per run,
so the sync costs little.

A temporary file is named `.<target name>.<random>.tmp<suffix>`: hidden, naming what it was for should a killed
process leave it behind.

This module imports nothing heavy: the edge runtime, which runs without TensorFlow or numpy, uses it too.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import json
import os
import tempfile
from typing import Any

# Keeps the temporary name within the 255-byte limit of a file name, whatever the target's name.
_NAME_CHARS = 64


def write_json(path: str | os.PathLike, value: Any) -> None:
  """Writes `value` as indented JSON with sorted keys, atomically."""
  write_text(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def write_text(path: str | os.PathLike, text: str) -> None:
  """Writes `text` as UTF-8, atomically."""
  write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
  """Writes `data`, atomically."""
  with writing(path) as temporary, open(temporary, "wb") as f:
    f.write(data)


@contextlib.contextmanager
def writing(path: str | os.PathLike, suffix: str = "") -> Iterator[str]:
  """Yields a temporary path beside `path` to write through a library call; publishes it when the block ends.

  For writers that take a file name (`figure.savefig`, `model.save`). `suffix` ends the temporary name, for
  libraries that choose the format by it (`.keras`, `.weights.h5`). An exception in the block removes the
  temporary file and leaves `path` as it was.
  """
  path = os.fspath(path)
  directory = os.path.dirname(os.path.abspath(path))
  handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)[:_NAME_CHARS]}.", suffix=f".tmp{suffix}",
                                       dir=directory)
  os.close(handle)
  try:
    yield temporary
    publish(temporary, path)
  except BaseException:
    with contextlib.suppress(OSError):  # the error that stopped the write is the one to report
      os.remove(temporary)
    raise


def publish(temporary: str | os.PathLike, path: str | os.PathLike) -> None:
  """Moves a finished file onto `path` atomically, synced and readable by all; `temporary` must be on the same file
  system (beside `path`, or in a work directory under the same root)."""
  handle = os.open(temporary, os.O_RDONLY)
  try:
    os.fsync(handle)
  finally:
    os.close(handle)
  os.chmod(temporary, 0o644)
  os.replace(temporary, path)
