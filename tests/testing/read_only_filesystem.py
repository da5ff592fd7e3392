"""Runs a script as a user runs it, with some directories on what behaves like a read-only file system.

The tests run as root in CI, and root writes into a `chmod a-w` directory anyway, so the fault is injected instead:
in the child process, every Python-level write under the given directories (os.open/open for writing, mkdir, rename,
replace, remove) fails with EROFS, as on a read-only mount. Reads are untouched. Writes from C++ (TensorFlow, h5py)
are not intercepted; the project checks a directory with a Python write before it writes there.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

_REPO = pathlib.Path(__file__).resolve().parents[2]
_READ_ONLY = """
import builtins, errno, io, os, runpy, sys

_ROOTS = [os.path.realpath(root) for root in sys.argv[1].split(os.pathsep)]

def _guarded(path):
  try:
    path = os.path.realpath(os.fsdecode(path))
  except TypeError:  # a file descriptor
    return False
  return any(path == root or path.startswith(root + os.sep) for root in _ROOTS)

def _refuse(path):
  raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

def _wrap_open(real):
  def open_(file, mode="r", *args, **kwargs):
    if any(flag in mode for flag in "wax+") and _guarded(file):
      _refuse(file)
    return real(file, mode, *args, **kwargs)
  return open_

builtins.open = io.open = _wrap_open(io.open)
_os_open = os.open
def _open(path, flags, *args, **kwargs):
  if flags & _WRITE_FLAGS and _guarded(path):
    _refuse(path)
  return _os_open(path, flags, *args, **kwargs)
os.open = _open

def _wrap_paths(name):
  real = getattr(os, name)
  def call(*paths, **kwargs):
    for path in paths[:2]:
      if isinstance(path, (str, bytes, os.PathLike)) and _guarded(path):
        _refuse(path)
    return real(*paths, **kwargs)
  setattr(os, name, call)

for _name in ("mkdir", "rename", "replace", "remove", "unlink", "rmdir", "chmod"):
  _wrap_paths(_name)

sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_with_read_only(read_only: list[str | os.PathLike], *arguments: str,
                       timeout: float = 300) -> subprocess.CompletedProcess:
  """Runs `python SCRIPT ARGS...` (`arguments`) from the repository root with `read_only` directories unwritable."""
  roots = os.pathsep.join(os.fspath(path) for path in read_only)
  return subprocess.run([sys.executable, "-c", _READ_ONLY, roots, *arguments], cwd=_REPO, capture_output=True,
                        text=True, timeout=timeout, check=False)
