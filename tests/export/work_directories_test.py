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


def test_a_replaced_version_whose_replacement_never_arrived_is_put_back(tmp_path):
  ended = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                             check=True).stdout)
  start = work_directories.start_time(os.getpid())
  owner = f"{ended}-{start}-{'d' * 12}"
  # Killed between the renames of --overwrite: version 3 moved aside, the new 3 still staged.
  (tmp_path / f".old-3-{owner}" / work_directories.RETIRED_CONTENT).mkdir(parents=True)
  (tmp_path / f".old-3-{owner}" / work_directories.RETIRED_CONTENT / "saved_model.pb").write_text("version 3")
  (tmp_path / f".tmp-3-{owner}").mkdir()
  # Replaced and the replacement in place (killed before the old copy was deleted); a version being pruned.
  (tmp_path / "4").mkdir()
  (tmp_path / f".old-4-{owner}" / work_directories.RETIRED_CONTENT).mkdir(parents=True)
  (tmp_path / f".pruned-1-{owner}" / work_directories.RETIRED_CONTENT).mkdir(parents=True)
  removed = work_directories.remove_abandoned(str(tmp_path))
  assert len(removed) == 4
  assert sorted(os.listdir(tmp_path)) == ["3", "4"]
  assert (tmp_path / "3" / "saved_model.pb").read_text() == "version 3"
