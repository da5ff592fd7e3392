"""The hidden directories an export writes in, named by the process that owns them, so that a later export removes
the ones a killed export left behind.

An export writes into `.tmp-export-*` under the export directory (conversion inputs, `.tflite` files before they are
verified) and stages each serving version in `.tmp-<version>-*` beside the version directories. A version it
replaces (`--overwrite`) is first moved into `.old-<version>-*`, and a version it prunes into `.pruned-<version>-*`,
out of the server's sight, before they are deleted. After a SIGKILL no code of the export runs again, so the next
export removes them, and only those whose owner is gone: a concurrent export keeps its own. A replaced version whose
replacement never took its place (killed between the two renames) is put back rather than removed.

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

# `.tmp-export-<owner>`, `.tmp-<version>-<owner>`, `.old-<version>-<owner>` and `.pruned-<version>-<owner>`;
# directories named without an owner are left alone.
_OWNED = re.compile(r"\.(?:tmp-export|tmp-(\d+)|old-(\d+)|pruned-(\d+))-(\d+)-(\d+)-[0-9a-f]{12}")
# What a retired directory holds: the version directory it took out of the server's sight.
RETIRED_CONTENT = "saved_model"


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
    if not owner or start_time(int(owner.group(4))) == int(owner.group(5)):
      continue
    path = os.path.join(parent, name)
    replaced, version = owner.group(2), os.path.join(parent, owner.group(2) or "")
    content = os.path.join(path, RETIRED_CONTENT)
    if replaced and not os.path.exists(version) and os.path.isdir(content):
      os.rename(content, version)  # the replacement never arrived: the version it replaced is served again
    shutil.rmtree(path, ignore_errors=True)
    removed.append(path)
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
