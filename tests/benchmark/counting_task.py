"""A tiny worker task for the tests of `WorkerProcess`: counts its runs, fails on demand."""

import os


class CountingTask:
  """Counts `run()` calls from `start`; `fail_setup` raises in set-up, `exit_setup` ends the process there."""

  def __init__(self, start: int = 0, fail_setup: bool = False, exit_setup: bool = False):
    if fail_setup:
      raise RuntimeError("set-up failed on purpose")
    if exit_setup:
      os._exit(3)  # pylint: disable=protected-access
    self.count = start
    self.info = {"pid": os.getpid(), "omp_threads": os.environ.get("OMP_NUM_THREADS")}
    print("noise on standard output must not break the protocol")

  def run(self, step: int = 1) -> int:
    self.count += step
    return self.count

  def fail(self) -> None:
    raise ValueError("command failed on purpose")
