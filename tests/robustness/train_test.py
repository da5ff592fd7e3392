"""tools/train.py on bad input and faults: refused with the problem and the way out, nothing written or changed."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from PIL import Image
import numpy as np
import pytest

from tests.robustness.conftest import TRAIN_FLAGS
from tests.robustness.tool_runs import ROOT, assert_refused, run_tool, snapshot
from tests.testing.small_file_system import run_on_small_file_system

_ONE_EPOCH = ("--model=cnn", "--dataset=digits", "--epochs=1", "--strategy=default")


def test_an_empty_model_dir_flag_writes_nothing_into_the_working_directory():
  before = sorted(os.listdir(ROOT))
  assert_refused(run_tool("train.py", *_ONE_EPOCH, "--model_dir="),
                 "--model_dir is empty", "give the directory to write to, e.g. --model_dir=")
  assert sorted(os.listdir(ROOT)) == before


def test_a_data_dir_that_is_a_file(tmp_path):
  # A --model_dir that is a file takes the same check (tests/training/trainer_test.py).
  (tmp_path / "a_file").write_text("kept")
  before = snapshot(tmp_path)
  assert_refused(run_tool("train.py", *_ONE_EPOCH, f"--data_dir={tmp_path / 'a_file'}",
                          f"--model_dir={tmp_path / 'model'}"),
                 "--data_dir=", "a_file is a file, not a directory", "Choose another --data_dir")
  assert snapshot(tmp_path) == before


def test_a_read_only_model_dir(tmp_path):
  # As root, CI cannot make a directory unwritable: the child's Python writes under it fail with EROFS instead.
  read_only = tmp_path / "read_only"
  read_only.mkdir()
  assert_refused(run_tool("train.py", *_ONE_EPOCH, f"--model_dir={read_only / 'model'}", read_only=(read_only,)),
                 "Cannot write to --model_dir=", "not writable (Read-only file system)",
                 "Choose a --model_dir you can write to")
  assert os.listdir(read_only) == []


def test_a_folder_with_two_images_per_class_is_too_small_to_carve(tmp_path):
  rng = np.random.default_rng(0)
  for label in range(10):
    for index in range(2):
      (tmp_path / "images" / str(label)).mkdir(parents=True, exist_ok=True)
      Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(tmp_path / "images" / str(label) /
                                                                          f"{index}.png")
  assert_refused(run_tool("train.py", "--model=cnn", f"--dataset=images:{tmp_path / 'images'}", "--epochs=1",
                          "--strategy=default", f"--model_dir={tmp_path / 'model'}"),
                 "Too few examples to carve a validation split and a test split",
                 "the largest class has 2 example(s)", "Give every class at least 6 examples",
                 "or supply the validation and test splits yourself")
  assert not (tmp_path / "model").exists()


def test_a_second_training_into_the_same_model_dir(tmp_path):
  model_dir = tmp_path / "model"
  command = [sys.executable, os.path.join("tools", "train.py"), "--model=cnn", "--dataset=digits", "--epochs=500",
             "--strategy=default", f"--model_dir={model_dir}"]
  first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
  try:
    deadline = time.time() + 120
    while not (model_dir / "config.json").exists():  # the first run holds the lock and has described its run
      assert first.poll() is None, first.stderr.read()[-3000:]
      assert time.time() < deadline, "the first training did not start"
      time.sleep(0.1)
    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert first.poll() is None, "the first training ended before the second one was refused"
  finally:
    first.send_signal(signal.SIGKILL)
    first.wait()
  assert_refused(second, f"Another training is writing to --model_dir={model_dir}", "Wait until it ends",
                 "or train into another --model_dir")


def test_a_truncated_newest_checkpoint_falls_back_to_the_previous_one(trained_digits, tmp_path):
  model_dir = tmp_path / "model"
  shutil.copytree(trained_digits, model_dir)
  newest = model_dir / "checkpoints" / "ckpt-2.data-00000-of-00001"
  os.truncate(newest, os.path.getsize(newest) // 2)  # as a full disk or a broken copy leaves it
  result = run_tool("train.py", *TRAIN_FLAGS, f"--model_dir={model_dir}")
  output = result.stdout + result.stderr
  assert result.returncode == 0 and "Traceback" not in output, output[-3000:]
  assert "ckpt-2 cannot be read" in result.stderr and "falling back to the one before it" in result.stderr
  assert "Resuming after epoch 1" in result.stdout and "epoch 2/2" in result.stdout
  assert (model_dir / "model.keras").exists()
  # When no checkpoint can be read, the run stops and says what to delete (tests/training/trainer_test.py).


def test_a_learning_rate_that_is_not_finite_is_refused_before_anything_is_written(tmp_path):
  for value in ("inf", "nan", "-1"):
    assert_refused(run_tool("train.py", *_ONE_EPOCH, f"--learning_rate={value}", f"--model_dir={tmp_path / 'model'}"),
                   f"Invalid trainer.learning_rate={float(value)!r}", "expected a finite number > 0, e.g. 1e-3")
    assert not (tmp_path / "model").exists()


def test_an_image_size_of_zero_is_named_not_blamed_on_the_images(tmp_path):
  folder = tmp_path / "images"
  for label in ("a", "b"):
    (folder / label).mkdir(parents=True)
    for index in range(6):
      Image.fromarray(np.full((8, 8), 40 * index, np.uint8)).save(folder / label / f"{index}.png")
  before = snapshot(tmp_path)
  assert_refused(run_tool("train.py", "--model=cnn", f"--dataset=images:{folder}", "--epochs=1",
                          f"--data_dir={tmp_path / 'cache'}", f"--model_dir={tmp_path / 'model'}",
                          "--params=data.image_size=(0,0)"),
                 "data.image_size=(0, 0)", "two integers >= 1 (height, width)")
  assert snapshot(tmp_path) == before


_FULL_DISK_SCRIPT = """
"$PYTHON" tools/train.py "$@" > "$OUT/first.log" 2>&1; echo $? > "$OUT/first.rc"
ls -a "$DISK/run" > "$OUT/listing.txt"
mount -o remount,size=16m "$DISK"
"$PYTHON" tools/train.py "$@" > "$OUT/second.log" 2>&1; echo $? > "$OUT/second.rc"
cp "$DISK/run/history.json" "$DISK/run/evaluation.json" "$OUT/" 2>/dev/null
exit 0
"""


def test_a_disk_that_fills_during_training_is_named_and_the_run_resumes_once_there_is_room(tmp_path):
  # A real full disk of 1.2 MB (tests/testing/small_file_system.py), room for the first epoch's files but not for
  # the second's; then grown, and the same command started again.
  disk, out = tmp_path / "disk", tmp_path / "out"
  arguments = ["--model=cnn", "--dataset=digits", "--epochs=3", "--strategy=default", f"--model_dir={disk / 'run'}"]
  result = run_on_small_file_system(_FULL_DISK_SCRIPT, "1200k", disk, out, *arguments)
  assert result.returncode == 0, result.stderr
  first = (out / "first.log").read_text()
  assert (out / "first.rc").read_text().strip() == "1" and "Traceback" not in first, first[-3000:]
  assert "error: No space left on the disk for" in first and "Free some space, or train into another --model_dir" in \
      first and "the run resumes after the last epoch whose checkpoint was written" in first
  listing = (out / "listing.txt").read_text().split()
  assert not [name for name in listing if ".tmp" in name], listing  # nothing half-written left behind
  second = (out / "second.log").read_text()
  assert (out / "second.rc").read_text().strip() == "0", second[-3000:]
  assert "Resuming after epoch" in second
  history = json.load(open(out / "history.json"))
  assert [row["epoch"] for row in history] == [1, 2, 3]
  assert json.load(open(out / "evaluation.json"))["num_examples"] == 359
