"""How the project reads prepared TFDS records: one place for the read settings of every data set."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_datasets as tfds

_FILES_READ_AT_ONCE = 4
_READ_BUFFER_BYTES = 1 << 20


def read_records(builder: tfds.core.DatasetBuilder, spec: str, *, shuffle_seed: int | None = None,
                 input_context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
  """Streams the records of the TFDS split `spec` (e.g. `train`, `train[:1617]`) of a prepared builder.

  Args:
    builder: the prepared builder.
    spec: the TFDS split to read.
    shuffle_seed: when given, the record files are read in an order shuffled with this seed, `_FILES_READ_AT_ONCE`
      interleaved at a time; when None, one after the other, in record order.
    input_context: read only this input pipeline's share of the files (the split must have at least as many files
      as pipelines: `num_files`).
  """
  # The project's records are written in a fixed order (`disable_shuffling`); reading their files in a seeded order
  # is what training wants all the same, so TFDS's guard against that is off. Without a seed the files are read one
  # after the other, so the records come in the order they were written, however many files there are.
  # TFDS's defaults read 16 files at once through 8 MiB buffers each (128 MiB, measured as most of the growth of
  # peak memory from 4,000 to 32,000 images by tools/benchmark_data.py); 4 files through 1 MiB buffers keep the
  # reads sequential and the memory small. The records were written in a random order already.
  read_config = tfds.ReadConfig(try_autocache=False, shuffle_seed=shuffle_seed, input_context=input_context,
                                enable_ordering_guard=False,
                                interleave_cycle_length=1 if shuffle_seed is None else _FILES_READ_AT_ONCE,
                                override_buffer_size=_READ_BUFFER_BYTES)
  return builder.as_dataset(split=spec, shuffle_files=shuffle_seed is not None, read_config=read_config)


def num_files(builder: tfds.core.DatasetBuilder, spec: str) -> int:
  """Record files (or parts of files, for a sliced split) that the TFDS split `spec` reads."""
  return len(builder.info.splits[spec].file_instructions)
