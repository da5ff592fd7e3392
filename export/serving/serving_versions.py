"""The version directories of one model in a TF Serving repository (`<model_root>/<version>/`): which exist, the
next one, and how a staged SavedModel is published or set aside. Imports nothing of TensorFlow: the repository tool
(`tools/serving_repository.py`) reads and rewrites a repository without it.

A version is written in a temporary directory beside it (a name starting with `.`, which TF Serving ignores), then
renamed into place, so a poller only ever sees a complete version. Replacing a version renames the old one away
first, renames the new one in, then deletes the old one.
"""

from __future__ import annotations

import os
import shutil

from export import work_directories
from export.export_error import ExportError


def resolve_version(model_root: str, version: int | None, overwrite: bool) -> int:
  """Returns the version to write: `version`, or 1 + the largest existing integer version.

  Raises:
    ExportError: `version` exists and `overwrite` is false, or `version` is not a positive integer.
  """
  existing = existing_versions(model_root)
  if version is None:
    return max(existing, default=0) + 1
  if version < 1:
    raise ExportError(f"--version={version} is not a serving version: TF Serving loads integer versions >= 1.")
  if version in existing and not overwrite:
    raise ExportError(f"Version {version} already exists in {model_root}. Pass --overwrite to replace it, or leave "
                      f"--version out to write version {max(existing) + 1}.")
  return version


def existing_versions(model_root: str) -> list[int]:
  """The integer version directories under `model_root` (none when it does not exist)."""
  if not os.path.isdir(model_root):
    return []
  return sorted(int(name) for name in os.listdir(model_root)
                if name.isdigit() and os.path.isdir(os.path.join(model_root, name)))


def staging_directory(model_root: str, version: int) -> str:
  """Creates and returns an empty directory beside the version directories, invisible to TF Serving, named by this
  process (`work_directories`) so that a later export removes it if this one is killed."""
  return work_directories.make(model_root, f".tmp-{version}-")


def publish(staged: str, model_root: str, version: int, overwrite: bool) -> str:
  """Renames the staged SavedModel into `<model_root>/<version>`; returns that path.

  Raises:
    ExportError: the version appeared meanwhile and `overwrite` is false (the staged copy is deleted).
  """
  target = os.path.join(model_root, str(version))
  if os.path.exists(target) and not overwrite:
    shutil.rmtree(staged, ignore_errors=True)
    raise ExportError(f"Version {version} appeared in {model_root} while exporting. Pass --overwrite to replace it, "
                      "or export again to write the next version.")
  # A copy of this version that once failed its gates is obsolete once the version is published.
  shutil.rmtree(rejected_path(model_root, version), ignore_errors=True)
  if not os.path.exists(target):
    os.rename(staged, target)
    return target
  retired = work_directories.make(model_root, f".old-{version}-")
  os.rename(target, os.path.join(retired, work_directories.RETIRED_CONTENT))
  os.rename(staged, target)
  shutil.rmtree(retired, ignore_errors=True)
  return target


def reject(staged: str, model_root: str, version: int) -> str:
  """Moves a staged SavedModel that failed verification to `.rejected-<version>` (out of TF Serving's sight)."""
  path = rejected_path(model_root, version)
  shutil.rmtree(path, ignore_errors=True)
  os.rename(staged, path)
  return path


def rejected_path(model_root: str, version: int) -> str:
  """Where a SavedModel that failed verification is kept for inspection."""
  return os.path.join(model_root, f".rejected-{version}")


def directory_size(path: str) -> int:
  """Total bytes of the files under `path`."""
  return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)
