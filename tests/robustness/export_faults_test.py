"""tools/export.py killed or run again after a kill: no converter outlives it, no hidden folder of it outlives the
next export, and the files of an earlier export never pass for those of the latest."""

import os
import signal
import subprocess
import sys
import time
import uuid

from export.work_directories import start_time
from tests.robustness.tool_runs import ROOT, run_tool
from tests.testing.small_file_system import run_on_small_file_system

_QUICK = ("--modes=float32", "--max_examples=50")


def _conversion_children(pid: int) -> list[int]:
  """The converter processes `pid` started (found through /proc, by their parent pid)."""
  children = []
  for name in os.listdir("/proc"):
    try:
      with open(f"/proc/{name}/stat", encoding="utf-8") as f:
        parent = int(f.read().rsplit(")", 1)[1].split()[1])
      with open(f"/proc/{name}/cmdline", "rb") as f:
        command = f.read()
    except (OSError, ValueError):
      continue  # not a process, or one that ended meanwhile
    if parent == pid and b"export.tflite.tflite_conversion" in command:
      children.append(int(name))
  return children


def _running(pid: int) -> bool:
  try:
    with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
      return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended, only not yet been reaped
  except OSError:
    return False


def test_the_converters_die_with_a_killed_export(trained_digits, tmp_path):
  export = subprocess.Popen([sys.executable, os.path.join("tools", "export.py"), f"--model_dir={trained_digits}",
                             f"--export_dir={tmp_path / 'out'}", "--modes=float32,float16", "--max_examples=50"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
  try:
    deadline = time.monotonic() + 300
    while not (children := _conversion_children(export.pid)):
      assert export.poll() is None, export.stderr.read()[-3000:]
      assert time.monotonic() < deadline, "the export started no converter"
      time.sleep(0.05)
  finally:
    export.send_signal(signal.SIGKILL)
    export.communicate()
  deadline = time.monotonic() + 5
  while any(_running(child) for child in children):
    assert time.monotonic() < deadline, f"converters {children} outlived the killed export"
    time.sleep(0.05)


def test_the_next_export_removes_what_killed_exports_left_and_the_tflite_files_of_earlier_ones(trained_digits,
                                                                                             tmp_path):
  # One model's exports in sequence (they share the model and the export directory): first after killed exports
  # left their hidden folders, then again with fewer modes.
  out, tflite = tmp_path / "out", tmp_path / "out" / "tflite"
  model_root = out / "serving" / "digits_cnn"
  me, my_start = os.getpid(), start_time(os.getpid())
  gone = {  # what an export killed with SIGKILL leaves, its pid unused since, or reused by another process
      out / f".tmp-export-{2 ** 22 + 1}-{my_start}-{uuid.uuid4().hex[:12]}": "tflite/digits_cnn_float32.tflite.tmp",
      model_root / f".tmp-1-{me}-{my_start + 1}-{uuid.uuid4().hex[:12]}": "saved_model.pb",
  }
  live = {  # the folders of an export still running (this process stands for it)
      out / f".tmp-export-{me}-{my_start}-{uuid.uuid4().hex[:12]}": "representative.npy",
      model_root / f".tmp-1-{me}-{my_start}-{uuid.uuid4().hex[:12]}": "saved_model.pb",
  }
  for folder, file in {**gone, **live}.items():
    (folder / file).parent.mkdir(parents=True)
    (folder / file).write_bytes(b"partial")
  first = run_tool("export.py", f"--model_dir={trained_digits}", f"--export_dir={out}", "--modes=float32,float16",
                   "--max_examples=50")
  assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr[-3000:]
  assert not any(folder.exists() for folder in gone), os.listdir(out)
  assert all((folder / file).read_bytes() == b"partial" for folder, file in live.items())
  assert sorted(name for name in os.listdir(model_root) if not name.startswith(".tmp-")) == ["1"]
  for folder in gone:
    assert f"Removed {folder}, left by an export that was killed." in first.stdout
  # The TFLite files of a model are those of its latest export: version 1 again, float32 only, drops its float16
  # file; another model's file stays.
  (tflite / "other_cnn_float16.tflite").write_bytes(b"another model's file")
  again = run_tool("export.py", f"--model_dir={trained_digits}", f"--export_dir={out}", "--version=1", "--overwrite",
                   *_QUICK)
  assert again.returncode == 0, again.stderr[-3000:]
  assert sorted(os.listdir(tflite)) == ["digits_cnn_float32.json", "digits_cnn_float32.tflite",
                                        "other_cnn_float16.tflite"]


_EXPORT_SCRIPT = """
"$PYTHON" tools/export.py "$@" > "$OUT/export.log" 2>&1; echo $? > "$OUT/export.rc"
find "$DISK" > "$OUT/listing.txt"
cp "$DISK/out/report.json" "$OUT/" 2>/dev/null
exit 0
"""


def test_a_disk_that_fills_during_export_is_named_and_nothing_half_written_is_left(trained_digits, tmp_path):
  # A real full disk of 200 kB (tests/testing/small_file_system.py): the SavedModel does not fit.
  disk, out = tmp_path / "disk", tmp_path / "out"
  result = run_on_small_file_system(_EXPORT_SCRIPT, "200k", disk, out, f"--model_dir={trained_digits}",
                                    f"--export_dir={disk / 'out'}", *_QUICK)
  assert result.returncode == 0, result.stderr
  log = (out / "export.log").read_text()
  assert (out / "export.rc").read_text().strip() == "1" and "Traceback" not in log, log[-3000:]
  assert "error: No space left on the disk holding" in log and "while writing the SavedModel. Nothing was " \
      "published. Free some space, or export into another --export_dir" in log, log[-3000:]
  listing = (out / "listing.txt").read_text().split()
  assert not [path for path in listing if "/.tmp" in path or path.endswith(".tflite")], listing
  assert not [path for path in listing if path.rstrip("/").endswith("/1")], listing  # no version published
