"""Runs one command as N local workers of a MultiWorkerMirroredStrategy cluster on 127.0.0.1.

Each worker gets its own TF_CONFIG (the same cluster, its own task index) on a free port. Their output is streamed
with a `[worker i]` prefix; the first worker that fails, or Ctrl-C, stops them all.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Callable, Sequence


def free_ports(count: int) -> list[int]:
  """Returns `count` distinct ports that are free on 127.0.0.1 right now."""
  sockets = []
  try:
    for _ in range(count):
      s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
      s.bind(("127.0.0.1", 0))
      sockets.append(s)
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


def tf_config(ports: Sequence[int], index: int) -> str:
  """The TF_CONFIG of worker `index` in a cluster of local workers on `ports`."""
  return json.dumps({"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
                     "task": {"type": "worker", "index": index}})


class LocalCluster:
  """N local worker processes running the same command.

  Args:
    command: the command every worker runs (e.g. `python tools/train.py ... --strategy=multi_worker_mirrored`).
    num_workers: number of workers.
    ports: fixed ports (default: free ones).
    output: where prefixed output lines go.
  """

  def __init__(self, command: Sequence[str], num_workers: int, ports: Sequence[int] | None = None,
               output: Callable[[str], None] = lambda line: print(line, flush=True)):
    if num_workers < 1:
      raise ValueError(f"num_workers must be >= 1, got {num_workers}.")
    if ports is not None and len(ports) != num_workers:
      raise ValueError(f"{len(ports)} ports given for {num_workers} workers; give one port per worker.")
    self.command = list(command)
    self.num_workers = num_workers
    self.ports = list(ports) if ports is not None else free_ports(num_workers)
    self.output = output
    self.processes: list[subprocess.Popen] = []

  def start(self) -> None:
    for index in range(self.num_workers):
      env = dict(os.environ, TF_CONFIG=tf_config(self.ports, index), PYTHONUNBUFFERED="1")
      process = subprocess.Popen(self.command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 start_new_session=True)
      self.processes.append(process)
      threading.Thread(target=self._stream, args=(index, process), daemon=True).start()

  def _stream(self, index: int, process: subprocess.Popen) -> None:
    for line in process.stdout:
      self.output(f"[worker {index}] {line.rstrip()}")

  def wait(self, timeout: float | None = None) -> int:
    """Waits for every worker; stops all at the first failure. Returns 0 or the first non-zero exit code."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
      while True:
        codes = [process.poll() for process in self.processes]
        failed = [(i, code) for i, code in enumerate(codes) if code not in (None, 0)]
        if failed:
          index, code = failed[0]
          self.output(f"[cluster] worker {index} exited with {code}; stopping the others.")
          self.stop()
          return code
        if all(code == 0 for code in codes):
          return 0
        if deadline is not None and time.monotonic() > deadline:
          self.output(f"[cluster] timed out after {timeout:.0f} s; stopping the workers.")
          self.stop()
          return 124
        time.sleep(0.1)
    except KeyboardInterrupt:
      self.output("[cluster] interrupted; stopping the workers.")
      self.stop()
      return 130

  def kill(self, index: int) -> None:
    """Kills one worker at once (SIGKILL), as a machine failure would."""
    os.killpg(self.processes[index].pid, signal.SIGKILL)

  def stop(self, grace_seconds: float = 5.0) -> None:
    """Terminates every worker still running; kills those that outlive the grace period."""
    for process in self.processes:
      if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    end = time.monotonic() + grace_seconds
    for process in self.processes:
      try:
        process.wait(max(0.0, end - time.monotonic()))
      except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

  def run(self, timeout: float | None = None) -> int:
    self.start()
    return self.wait(timeout)


def main_command(argv: Sequence[str]) -> list[str]:
  """Makes a tool command line runnable by the workers: `tools/x.py ...` runs with this interpreter."""
  argv = list(argv)
  if argv and argv[0].endswith(".py"):
    return [sys.executable, *argv]
  return argv
