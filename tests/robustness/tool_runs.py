"""How the robustness cases run the real command-line tools on bad input, and what a proper refusal is.

A refusal exits 1 with `error: <message>` on stderr, the message names the problem and the way out (checked by key
phrases), no traceback is printed, and the files it was given are byte-identical afterwards (or absent, when it was
to create them).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import subprocess
import sys

from tests.testing.read_only_filesystem import run_with_read_only

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_tool(tool: str, *arguments: str, read_only: tuple[os.PathLike, ...] = (),
             timeout: float = 300) -> subprocess.CompletedProcess:
  """Runs `tools/<tool>` with `arguments` from the repository root, optionally with `read_only` directories."""
  script = os.path.join("tools", tool)
  if read_only:
    return run_with_read_only(list(read_only), script, *arguments, timeout=timeout)
  return subprocess.run([sys.executable, script, *arguments], cwd=ROOT, capture_output=True, text=True,
                        timeout=timeout, check=False)


def assert_refused(result: subprocess.CompletedProcess, *phrases: str) -> str:
  """Asserts a clear refusal (exit 1, every phrase in the `error:` line, no traceback); returns that line."""
  output = result.stdout + result.stderr
  assert "Traceback" not in output, output[-3000:]
  assert result.returncode == 1, output[-3000:]
  errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
  assert errors, result.stderr[-3000:]
  for phrase in phrases:
    assert phrase in errors[-1], f"{phrase!r} not in {errors[-1]!r}"
  return errors[-1]


def snapshot(path: os.PathLike) -> dict[str, str]:
  """Every file under `path` by relative path, with a digest of its bytes (folders as '/')."""
  files = {}
  for root, folders, names in os.walk(path):
    for name in folders:
      files[os.path.relpath(os.path.join(root, name), path)] = "/"
    for name in names:
      with open(os.path.join(root, name), "rb") as f:
        files[os.path.relpath(os.path.join(root, name), path)] = hashlib.sha256(f.read()).hexdigest()
  return files
