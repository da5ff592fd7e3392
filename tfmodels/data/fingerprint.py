"""Where the prepared copy of a user's files lives, keyed by a fingerprint of those files.

A user's folder or CSV is prepared once into `<data_dir>/tfds/user/<kind>-<name>-<path hash>/`. The builder config
under it is named by the split parameters and a fingerprint of the source: every file's path relative to the source,
its size and its modification time (nanoseconds), and the settings that change what is written (the image size and
channel policy). Reading contents is not needed: an unchanged folder is recognised from its listing alone, and a file
added, removed, replaced or touched gives a new fingerprint, so the data set is prepared again. Copies of the same
source under older fingerprints are removed once the new one is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import dataclasses
import hashlib
import json
import os
import pathlib
import re
import shutil

from tfmodels.data import package_cache
from tfmodels.data.data_error import DataError


@dataclasses.dataclass(frozen=True)
class PreparedLocation:
  """Attributes:
    data_dir: the TFDS data dir of this source's prepared copies.
    fingerprint: 16 hex digits naming the current state of the source.
  """

  data_dir: pathlib.Path
  fingerprint: str


def source_fingerprint(root: pathlib.Path, files: Iterable[pathlib.Path], settings: Sequence = ()) -> str:
  """16 hex digits of the relative path, size and modification time of each file, and `settings`."""
  digest = hashlib.sha256(json.dumps(list(settings), default=str).encode())
  base = root if root.is_dir() else root.parent
  for path in sorted(files):
    try:
      status = path.stat()
    except OSError as error:
      raise DataError(f"Cannot read {path}: {error.strerror}. Check that it exists and is readable.") from error
    digest.update(f"{os.path.relpath(path, base)}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
  return digest.hexdigest()[:16]


def prepared_location(data_dir: str, kind: str, root: pathlib.Path, files: Iterable[pathlib.Path],
                      settings: Sequence = (), slug: str = "") -> PreparedLocation:
  """The folder of `root`'s prepared copies (see the module docstring) and the current fingerprint; the folder is
  named after `slug` (default: the name of `root`)."""
  absolute = root.absolute()
  slug = re.sub(r"[^a-z0-9]+", "_", (slug or absolute.stem).lower()).strip("_")[:40] or "data"
  path_hash = hashlib.sha256(str(absolute).encode()).hexdigest()[:8]
  folder = package_cache.resolve_data_dir(data_dir) / "tfds" / "user" / f"{kind}-{slug}-{path_hash}"
  return PreparedLocation(folder, source_fingerprint(absolute, files, settings))


def remove_stale(builder_dir: pathlib.Path, keep: str) -> None:
  """Removes the prepared copies in `builder_dir` of the same split parameters but another fingerprint than `keep`."""
  parameters = keep.rsplit("_", 1)[0]
  for entry in builder_dir.glob(f"{parameters}_*"):
    if entry.name != keep and entry.is_dir():
      shutil.rmtree(entry, ignore_errors=True)
