"""Models and exports the tests build once per pytest run and share, across the test processes of pytest-xdist too.

Under pytest-xdist each process has a base folder of its own (`.../pytest-N/popen-gw0`); what several processes
need is built in the folder above it, by the first process to ask, while the others wait on a lock and then read it.
What is shared this way is only read by the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import fcntl
import os
import pathlib


def shared_root(root: pathlib.Path) -> pathlib.Path:
  """The folder the processes of this run share, given pytest's base folder of this process (`root`)."""
  root = pathlib.Path(root)
  if os.environ.get("PYTEST_XDIST_WORKER") and root.name.startswith("popen-"):
    return root.parent
  return root


@contextlib.contextmanager
def built_by_one(root: pathlib.Path, name: str) -> Iterator[None]:
  """Holds the lock of `name` under `root`: the process holding it checks whether the thing is built, and builds it."""
  root.mkdir(parents=True, exist_ok=True)
  with open(root / f".{name}.lock", "w", encoding="utf-8") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, or the process ends
    yield
