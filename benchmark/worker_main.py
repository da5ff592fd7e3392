"""A measuring subprocess: `python -m benchmark.worker_main SPEC_JSON` (started by `WorkerProcess`).

SPEC names a task class (`"module:Class"`), the framework and thread count to pin, and the class's keyword
arguments. The process pins the threads first, builds the task (its set-up and warm-up), says it is ready, then runs
the task's methods one line of JSON at a time: `{"command": "run", "args": {...}}` -> `{"result": ...}` (or
`{"error": traceback}`); `{"command": "stop"}` ends it. The answers go to the original standard output; anything
else the frameworks print goes to standard error (the worker's log).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

from benchmark.thread_pinning import pin_threads


def load_task_class(reference: str):
  """The class named by `"package.module:ClassName"`."""
  module_name, _, class_name = reference.partition(":")
  if not module_name or not class_name:
    raise ValueError(f"Task reference '{reference}' is not 'module:Class'.")
  return getattr(importlib.import_module(module_name), class_name)


def main(argv: list[str]) -> int:
  spec = json.loads(argv[1])
  answers = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
  os.dup2(2, 1)  # stray prints of the frameworks would break the protocol: send them to the log

  def answer(message: dict) -> None:
    answers.write(json.dumps(message) + "\n")
    answers.flush()

  try:
    pin_threads(spec["framework"], spec["threads"])
    task = load_task_class(spec["task"])(**spec.get("args", {}))
  except Exception:  # pylint: disable=broad-except  (reported to the parent, which raises it)
    answer({"error": traceback.format_exc()})
    return 1
  answer({"ready": True, "info": getattr(task, "info", {})})
  for line in sys.stdin:
    message = json.loads(line)
    if message["command"] == "stop":
      if hasattr(task, "close"):
        task.close()
      break
    try:
      if message["command"].startswith("_"):
        raise ValueError(f"Command {message['command']} is private.")
      answer({"result": getattr(task, message["command"])(**message.get("args", {}))})
    except Exception:  # pylint: disable=broad-except
      answer({"error": traceback.format_exc()})
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
