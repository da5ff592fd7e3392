"""Tests of benchmark/worker_process.py, benchmark/worker_main.py and benchmark/thread_pinning.py."""

import pytest

from benchmark.benchmark_error import BenchmarkError
from benchmark.thread_pinning import pin_threads
from benchmark.worker_main import load_task_class
from benchmark.worker_process import WorkerProcess

_TASK = "tests.benchmark.counting_task:CountingTask"


def test_worker_sets_up_once_and_answers_commands(tmp_path):
  with WorkerProcess(_TASK, "litert", 2, {"start": 10}, str(tmp_path / "worker.log")) as worker:
    info = worker.wait_ready()
    assert info["omp_threads"] == "2"  # the OpenMP pools of the process are bounded too
    assert worker.call("run") == 11
    assert worker.call("run", step=5) == 16
    with pytest.raises(BenchmarkError, match="command failed on purpose"):
      worker.call("fail")
    assert worker.call("run") == 17  # a failed command leaves the worker usable
    with pytest.raises(BenchmarkError, match="private"):
      worker.call("_secret")
  assert "noise on standard output" in (tmp_path / "worker.log").read_text()


def test_failed_set_up_is_reported(tmp_path):
  worker = WorkerProcess(_TASK, "litert", 1, {"fail_setup": True}, str(tmp_path / "worker.log")).start()
  try:
    with pytest.raises(BenchmarkError, match="set-up failed on purpose"):
      worker.wait_ready()
  finally:
    worker.close()


def test_a_worker_that_dies_is_reported_with_its_log(tmp_path):
  worker = WorkerProcess(_TASK, "litert", 1, {"exit_setup": True}, str(tmp_path / "worker.log")).start()
  try:
    with pytest.raises(BenchmarkError, match=r"exited \(status 3\)"):
      worker.wait_ready()
  finally:
    worker.close()


def test_task_references_and_frameworks_are_checked():
  assert load_task_class(_TASK).__name__ == "CountingTask"
  with pytest.raises(ValueError, match="module:Class"):
    load_task_class("tests.benchmark.counting_task")
  with pytest.raises(ValueError, match="Unknown framework"):
    pin_threads("jax", 1)
  with pytest.raises(ValueError, match="threads"):
    pin_threads("litert", 0)


def test_a_task_group_runs_several_tasks_in_one_process(tmp_path):
  tasks = {"a": {"task": _TASK, "args": {"start": 0}}, "b": {"task": _TASK, "args": {"start": 100}}}
  with WorkerProcess("benchmark.task_group:TaskGroup", "litert", 1, {"tasks": tasks},
                     str(tmp_path / "worker.log")) as worker:
    info = worker.wait_ready()
    assert set(info) == {"a", "b"} and info["a"]["pid"] == info["b"]["pid"]
    assert (worker.call("run", task="a"), worker.call("run", task="b", step=2)) == (1, 102)
    assert worker.call("command", task="a", method="run", step=5) == 6
    with pytest.raises(BenchmarkError, match="private"):
      worker.call("command", task="a", method="__init__")
