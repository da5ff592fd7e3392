"""Pins the threads of a framework before it starts, so that compared runs use the same number of cores.

TensorFlow reads its thread settings once, when its runtime starts: `pin_threads` must run before the first
TensorFlow operation of the process, which is why every measurement runs in a worker process of its own.
"""

from __future__ import annotations

FRAMEWORKS = ("tensorflow", "torch", "litert")


def thread_environment(threads: int) -> dict[str, str]:
  """Environment variables that bound the OpenMP and MKL pools of a new process to `threads`."""
  value = str(threads)
  return {"OMP_NUM_THREADS": value, "MKL_NUM_THREADS": value}


def pin_threads(framework: str, threads: int) -> None:
  """Sets the intra-op and inter-op threads of `framework` to `threads`.

  LiteRT takes its thread count per interpreter (`num_threads`), so there is nothing to set for it here.

  Raises:
    ValueError: an unknown framework, or fewer than one thread.
  """
  if framework not in FRAMEWORKS:
    raise ValueError(f"Unknown framework '{framework}': expected one of {', '.join(FRAMEWORKS)}.")
  if threads < 1:
    raise ValueError(f"threads must be >= 1, got {threads}.")
  if framework == "tensorflow":
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
  elif framework == "torch":
    import torch  # pylint: disable=g-import-not-at-top
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
