"""A description of the machine and the software a benchmark ran on, read without starting TensorFlow."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import re
from collections.abc import Sequence

# An absolute or home path inside a command-line value (up to the next comma, equals sign or space).
_LOCAL_PATH = re.compile(r"(?<![\w.])(?:/|~/)[^,=\s]*")


def describe_machine() -> dict:
  """CPU model, cores, memory, OS, Python and the versions of the compared frameworks, and the date."""
  return {
      "cpu": _cpu_model(),
      "cores": os.cpu_count(),
      "memory_gib": _memory_gib(),
      "system": f"{platform.system()} {platform.release()} ({platform.machine()})",
      "python": platform.python_version(),
      "versions": {name: _version(name) for name in ("tensorflow", "keras", "ai-edge-litert", "torch", "numpy")},
      "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
      "load_average": _load_average(),
  }


def command_line(tool: str, argv: Sequence[str]) -> str:
  """How a benchmark was run, for its results: `python <tool> <arguments>`, with the absolute paths of the machine it
  ran on written as `DIR` (`--work_dir=/tmp/x` -> `--work_dir=DIR`; relative paths, which every clone shares, stay)."""
  return " ".join(["python", tool, *(_LOCAL_PATH.sub("DIR", argument) for argument in argv)])


def _cpu_model() -> str:
  try:
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
      for line in cpuinfo:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
  try:
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
      for line in meminfo:
        if line.startswith("MemTotal:"):
          return round(int(line.split()[1]) / 2**20, 1)
  except OSError:
    pass
  return None


def _load_average() -> list[float] | None:
  try:
    return [round(value, 2) for value in os.getloadavg()]
  except OSError:
    return None


def _version(package: str) -> str | None:
  try:
    return importlib.metadata.version(package)
  except importlib.metadata.PackageNotFoundError:
    return None
