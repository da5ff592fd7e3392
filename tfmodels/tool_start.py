"""Imported first by every command-line tool: where the tool imports from, and TensorFlow's start-up lines unprinted.

Where it imports from: run as `python tools/NAME.py`, Python puts `tools/` first on `sys.path`, where
`tools/export.py` and `tools/benchmark.py` would shadow the `export` and `benchmark` packages. That entry is dropped:
the project's packages are installed (`pyproject.toml`), and `tools/` is a package of them, not an import root.

TensorFlow's C++ side prints lines that a user of these tools cannot act on: oneDNN, the CUDA probe on a machine
without a GPU, the CPU instructions it was not built for, and "All log messages before absl::InitializeLog() is
called are written to STDERR". Those printed while `tensorflow` is imported come before any logging setting takes
effect, so that import runs with the process's standard error (file descriptor 2) pointed at /dev/null; later C++
lines below ERROR are kept out with `TF_CPP_MIN_LOG_LEVEL`. Both only when the command line does not set absl's own
`--verbosity` (`--verbosity=0` brings every line back, with absl's INFO lines) and `TF_CPP_MIN_LOG_LEVEL` is not
`0` (a level of 1 or 2 set by a script still hides them: they are printed before that setting is read).
Python warnings after the import, TensorFlow's included, still show. Importing this module imports nothing of
TensorFlow: the edge tools, which must run without it, import it too.
"""

from __future__ import annotations

from collections.abc import Sequence
import contextlib
import importlib.abc
import importlib.util
import os
import sys


def verbosity_requested(argv: Sequence[str]) -> bool:
  """Whether the command line sets absl's `--verbosity` (or its short form `-v`)."""
  return any(arg in ("--verbosity", "-v") or arg.startswith(("--verbosity=", "-v=")) for arg in argv)


@contextlib.contextmanager
def standard_error_discarded():
  """Points file descriptor 2 at /dev/null (C++ writes included) for the duration, then restores it."""
  sys.stderr.flush()
  saved = os.dup(2)
  try:
    with open(os.devnull, "wb") as devnull:
      os.dup2(devnull.fileno(), 2)
    yield
  finally:
    sys.stderr.flush()
    os.dup2(saved, 2)
    os.close(saved)


class _QuietLoader(importlib.abc.Loader):
  """Runs another loader with standard error discarded."""

  def __init__(self, loader: importlib.abc.Loader):
    self._loader = loader

  def create_module(self, spec):
    return self._loader.create_module(spec)

  def exec_module(self, module):
    with standard_error_discarded():
      self._loader.exec_module(module)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
  """Finds `tensorflow` as usual, the first time, and has it imported by a `_QuietLoader`."""

  def find_spec(self, name, path=None, target=None):
    if name != "tensorflow":
      return None
    sys.meta_path.remove(self)  # once, and the usual finders do the finding
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.loader is not None:
      spec.loader = _QuietLoader(spec.loader)
    return spec


_TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == _TOOLS:
  del sys.path[0]

if not verbosity_requested(sys.argv[1:]) and os.environ.get("TF_CPP_MIN_LOG_LEVEL") != "0":
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  if "tensorflow" not in sys.modules:
    sys.meta_path.insert(0, _QuietTensorFlowImport())
