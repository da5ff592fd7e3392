"""Starts and drives one measuring subprocess (`benchmark.worker_main`)."""

from __future__ import annotations

import json
import os
import pathlib
import select
import subprocess
import sys
import time

from benchmark.benchmark_error import BenchmarkError
from benchmark.thread_pinning import thread_environment

REPO_ROOT = str(pathlib.Path(__file__).resolve().parents[1])
_LOG_TAIL = 3000


def subprocess_environment(threads: int | None = None) -> dict[str, str]:
  """The environment of every process the benchmark starts: TensorFlow's C++ logging quiet, and the OpenMP pools
  bounded when `threads` is given (the project is installed, so every process imports it)."""
  environment = dict(os.environ)
  environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  if threads is not None:
    environment.update(thread_environment(threads))
  return environment


class WorkerProcess:
  """One measuring subprocess: set up once with its threads pinned, then timed command by command.

  `start()` returns at once, so several workers set up side by side; `wait_ready()` waits for the set-up (and
  warm-up) to finish. Nothing is timed while workers set up: the parent starts timing only when all are ready, and
  runs one worker's command at a time, so the measured runs never overlap.

  Args:
    task: `"module:Class"` of the task; its `__init__` takes `args` and sets up, its public methods are commands.
    framework: `tensorflow`, `torch` or `litert`: whose threads to pin.
    threads: intra-op and inter-op threads.
    args: keyword arguments of the task class (JSON-serializable).
    log_path: where the worker's standard error goes.
    timeout_s: longest wait for one answer.
  """

  def __init__(self, task: str, framework: str, threads: int, args: dict, log_path: str,
               timeout_s: float = 1800.0):
    self.task = task
    self.framework = framework
    self.threads = threads
    self.args = args
    self.log_path = log_path
    self.timeout_s = timeout_s
    self.info: dict = {}
    self._process: subprocess.Popen | None = None
    self._ready = False

  def start(self) -> "WorkerProcess":
    """Starts the subprocess (its set-up runs in the background)."""
    spec = json.dumps({"task": self.task, "framework": self.framework, "threads": self.threads, "args": self.args})
    os.makedirs(os.path.dirname(os.path.abspath(self.log_path)), exist_ok=True)
    with open(self.log_path, "w", encoding="utf-8") as log:
      self._process = subprocess.Popen([sys.executable, "-m", "benchmark.worker_main", spec], cwd=REPO_ROOT,
                                       env=subprocess_environment(self.threads), stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
    return self

  def wait_ready(self) -> dict:
    """Waits for the set-up to finish; returns what the task reported of itself."""
    if self._process is None:
      self.start()
    if not self._ready:
      self.info = self._receive("set-up")["info"]
      self._ready = True
    return self.info

  def call(self, command: str, **args):
    """Runs one command of the task and returns its result."""
    if not self._ready:
      self.wait_ready()
    self._process.stdin.write(json.dumps({"command": command, "args": args}) + "\n")
    self._process.stdin.flush()
    return self._receive(command)["result"]

  def close(self) -> None:
    """Stops the subprocess (politely, then by force)."""
    process, self._process = self._process, None
    self._ready = False
    if process is None:
      return
    if process.poll() is None:
      try:
        process.stdin.write(json.dumps({"command": "stop"}) + "\n")
        process.stdin.flush()
        process.wait(timeout=30)
      except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout):
      if stream:
        stream.close()

  def __enter__(self) -> "WorkerProcess":
    return self.start()

  def __exit__(self, *unused) -> None:
    self.close()

  def _receive(self, what: str) -> dict:
    process = self._process
    deadline = time.monotonic() + self.timeout_s
    while True:
      ready, _, _ = select.select([process.stdout], [], [], max(0.0, min(5.0, deadline - time.monotonic())))
      if ready:
        line = process.stdout.readline()
        break
      if time.monotonic() >= deadline:
        process.kill()
        raise BenchmarkError(f"Worker {self.task} gave no answer to '{what}' within {self.timeout_s:.0f} s; "
                             f"log: {self.log_path}{self._log_tail()}")
    if not line:
      process.wait()
      raise BenchmarkError(f"Worker {self.task} exited (status {process.returncode}) during '{what}'; log: "
                           f"{self.log_path}{self._log_tail()}")
    message = json.loads(line)
    if "error" in message:
      raise BenchmarkError(f"Worker {self.task} failed in '{what}':\n{message['error']}")
    return message

  def _log_tail(self) -> str:
    try:
      with open(self.log_path, encoding="utf-8", errors="replace") as log:
        text = log.read()[-_LOG_TAIL:]
    except OSError:
      return ""
    return f"\n--- end of the log ---\n{text}" if text else ""
