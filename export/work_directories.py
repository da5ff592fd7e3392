"""The hidden directories an export writes in, named by the process that owns them, so that a later export removes
the ones a killed export left behind.

An export writes into `.tmp-export-*` under the export directory (conversion inputs, `.tflite` files before they are
verified) and stages each serving version in `.tmp-<version>-*` beside the version directories. After a SIGKILL no
code of the export runs again, so the next export removes them, and only those whose owner is gone: a concurrent
export keeps its own.

The owner is in the name, `<prefix><pid>-<start>-<random>`, `<start>` being the process's start time in clock ticks
since boot (field 22 of /proc/<pid>/stat): a pid reused by another process has another start time. The name and not
a file inside, because the name comes with the directory in one step (no moment without an owner), and a staging
directory becomes a served version by a rename, which would carry such a file into the version.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid

# `.tmp-export-<owner>` and `.tmp-<version>-<owner>`; directories named without an owner are left alone.
_OWNED = re.compile(r"\.tmp-(?:export|\d+)-(\d+)-(\d+)-[0-9a-f]{12}")


def make(parent: str, prefix: str) -> str:
  """Creates and returns `<parent>/<prefix><owner>`, an empty directory owned by this process.

  Not tempfile.mkdtemp: its owner-only permissions would follow a staging directory into place, hiding the version
  from a server running as another user.
  """
  path = os.path.join(parent, f"{prefix}{os.getpid()}-{start_time(os.getpid()) or 0}-{uuid.uuid4().hex[:12]}")
  os.makedirs(path)
  return path


def remove_abandoned(parent: str) -> list[str]:
  """Removes the directories of `parent` made by `make` whose owner has ended; returns their paths."""
  if start_time(os.getpid()) is None or not os.path.isdir(parent):
    return []  # without /proc no owner can be told apart from a reused pid: nothing is removed
  removed = []
  for name in sorted(os.listdir(parent)):
    owner = _OWNED.fullmatch(name)
    if owner and start_time(int(owner.group(1))) != int(owner.group(2)):
      shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
      removed.append(os.path.join(parent, name))
  return removed


def start_time(pid: int) -> int | None:
  """When process `pid` started, in clock ticks since boot; None when there is no such process (or no /proc)."""
  try:
    with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
      stat = f.read()
  except OSError:
    return None
  # The command name (field 2) is in parentheses and may hold spaces: count the fields after it.
  return int(stat.rsplit(")", 1)[1].split()[19])
