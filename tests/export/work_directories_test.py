"""Tests of export/work_directories.py: owned directories, and which of them a later export removes."""

import os
import subprocess
import sys

from export import work_directories


def test_a_directory_is_named_by_its_owner(tmp_path):
  path = work_directories.make(str(tmp_path), ".tmp-export-")
  pid, start, _ = os.path.basename(path)[len(".tmp-export-"):].split("-")
  assert os.path.isdir(path) and os.listdir(path) == []
  assert (int(pid), int(start)) == (os.getpid(), work_directories.start_time(os.getpid()))


def test_only_directories_of_ended_owners_are_removed(tmp_path):
  ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                         check=True)
  me, start = os.getpid(), work_directories.start_time(os.getpid())
  names = {
      f".tmp-export-{int(ended.stdout)}-{start}-{'a' * 12}": False,  # its process has ended
      f".tmp-3-{me}-{start - 1}-{'b' * 12}": False,  # the pid now belongs to another process
      f".tmp-3-{me}-{start}-{'c' * 12}": True,  # a live owner
      ".tmp-3-0123456789ab": True,  # no owner in the name
      "3": True,
  }
  for name in names:
    (tmp_path / name).mkdir()
  removed = work_directories.remove_abandoned(str(tmp_path))
  assert sorted(removed) == sorted(str(tmp_path / name) for name, kept in names.items() if not kept)
  assert sorted(os.listdir(tmp_path)) == sorted(name for name, kept in names.items() if kept)
  assert work_directories.remove_abandoned(str(tmp_path / "missing")) == []


def test_the_start_time_of_a_process_that_does_not_exist():
  assert work_directories.start_time(2 ** 22 + 1) is None
