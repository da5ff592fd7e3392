"""Several worker tasks of one framework in one process, addressed by name (a worker task itself)."""

from __future__ import annotations

from benchmark.worker_main import load_task_class


class TaskGroup:
  """Sets up every task in turn, then runs the one a command names.

  Tasks of the same framework that are compared with each other (the project's loop fed by tf.data and by cached
  tensors) share a process: they share its pinned thread pools, and the process starts (and imports its framework)
  once instead of once per task.

  Args:
    tasks: name -> `{"task": "module:Class", "args": {...}}`.
  """

  def __init__(self, tasks: dict[str, dict]):
    self.tasks = {name: load_task_class(spec["task"])(**spec.get("args", {})) for name, spec in tasks.items()}
    self.info = {name: getattr(task, "info", {}) for name, task in self.tasks.items()}

  def run(self, task: str, **args):
    """Runs `task`'s `run(**args)`."""
    return self.tasks[task].run(**args)

  def command(self, task: str, method: str, **args):
    """Runs another public method of `task`."""
    if method.startswith("_"):
      raise ValueError(f"Method {method} is private.")
    return getattr(self.tasks[task], method)(**args)

  def close(self) -> None:
    for task in self.tasks.values():
      if hasattr(task, "close"):
        task.close()
