"""Small files written whole or not at all: a temporary file beside the target, then a rename. Imports nothing of
TensorFlow, so tools that only move files (the serving repository's) start at once."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any


def write_json(path: str, value: Any) -> None:
  """Writes JSON atomically (temporary file beside the target, then rename)."""
  write_text(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def write_text(path: str, text: str) -> None:
  directory = os.path.dirname(os.path.abspath(path))
  with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, delete=False, suffix=".tmp") as f:
    f.write(text)
  publish(f.name, path)


def publish(temporary: str, path: str) -> None:
  """Moves a finished temporary file onto `path` atomically, readable by all (temporary files are 0600)."""
  os.chmod(temporary, 0o644)
  os.replace(temporary, path)
