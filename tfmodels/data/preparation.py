"""Writes a builder's records once, safely when several processes start at the same time.

TFDS writes a data set into an `incomplete.*` folder and renames it into place at the end, so an interrupted
preparation leaves no half-written data set. The workers of a cluster (or parallel runs) may ask for the same data set
at once: one prepares it under a lock, the others wait for the lock and then read what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable
import fcntl
import logging
import pathlib

import tensorflow_datasets as tfds

from tfmodels.data.builders.split_carving_builder import download_config


class _RoutineTfdsNotices(logging.Filter):
  """Drops TFDS's warnings about what is routine here: split settings passed as a builder config, a data set that is
  looked for before it is prepared, and records written in a fixed order that training reads in a seeded one."""

  _ROUTINE = ("Using custom data configuration", "Variant folder", "Dataset is an ordered dataset")

  def filter(self, record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(self._ROUTINE)


logging.getLogger("absl").addFilter(_RoutineTfdsNotices())


def prepare(make_builder: Callable[[], tfds.core.DatasetBuilder], lock_dir: pathlib.Path, lock_name: str,
            manual_dir: Callable[[], str | None] | None = None) -> tfds.core.DatasetBuilder:
  """Returns the builder `make_builder` makes, prepared.

  Args:
    make_builder: makes the builder (called again after waiting for the lock, to see what another process wrote).
    lock_dir: folder of the lock file.
    lock_name: the lock file's name, one per data set.
    manual_dir: gives the folder of the source files; called only when the records must be written.
  """
  builder = make_builder()
  if builder.is_prepared():
    return builder
  lock_dir.mkdir(parents=True, exist_ok=True)
  with open(lock_dir / f".{lock_name}.lock", "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    builder = make_builder()
    if not builder.is_prepared():
      builder.download_and_prepare(download_config=download_config(manual_dir() if manual_dir else None))
  return builder
