"""Runs a shell script with a real, small file system mounted at a folder: a disk that fills up, for real.

The script runs in a mount namespace of its own (`unshare -m`), where a tmpfs of the given size is mounted at
`$DISK`; nothing outside the namespace sees it. That needs root, as CI runs; elsewhere the test is skipped. The
script can grow the file system (`mount -o remount,size=... "$DISK"`) to make room, and copies what the test
inspects into `$OUT`, which is an ordinary folder.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

_REPO = pathlib.Path(__file__).resolve().parents[2]
_NO_MOUNT = 77


def run_on_small_file_system(script: str, size: str, disk: pathlib.Path, out: pathlib.Path, *arguments: str,
                             timeout: float = 600) -> subprocess.CompletedProcess:
  """Runs `script` (sh) from the repository root with `$DISK` a `size` tmpfs (e.g. `1200k`), `$OUT` a plain
  folder and `$PYTHON` this interpreter; skips the test where the file system cannot be mounted."""
  disk.mkdir(parents=True, exist_ok=True)
  out.mkdir(parents=True, exist_ok=True)
  mount = f'mount -t tmpfs -o size={size} tmpfs "$DISK" || exit {_NO_MOUNT}\n'
  env = dict(os.environ, DISK=str(disk), OUT=str(out), PYTHON=sys.executable)
  try:
    result = subprocess.run(["unshare", "-m", "sh", "-c", mount + script, "small_file_system", *arguments],
                            cwd=_REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
  except FileNotFoundError:
    pytest.skip("unshare is not installed: a small file system cannot be mounted here")
  if result.returncode == _NO_MOUNT or (result.returncode and "unshare:" in result.stderr):
    pytest.skip(f"a small file system cannot be mounted here (needs root): {result.stderr.strip()[:200]}")
  return result
