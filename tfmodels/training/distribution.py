"""One factory from a strategy name to a `tf.distribute.Strategy`, and the mixed-precision policy.

`auto` picks MirroredStrategy on more than one GPU, OneDeviceStrategy on one GPU and the default strategy on CPU.
`mirrored` without GPUs mirrors over every logical CPU device (what the tests use to check that replicas agree).

A process builds one MirroredStrategy per set of devices and hands it out again: a second MirroredStrategy over the
same devices numbers its collective operations as the first did, so a second training in the same process (a
script that trains two models) failed with "Shape mismatch in the collective instance 100" (TensorFlow issue
62790).
"""

from __future__ import annotations

import functools
import json
import os
import socket

import keras
import tensorflow as tf

from tfmodels.config import ConfigError, MIXED_PRECISION_NAMES, STRATEGY_NAMES


def build_strategy(name: str) -> tf.distribute.Strategy:
  """Returns the strategy called `name`; raises `ConfigError` for an unknown name or a bad TF_CONFIG."""
  if name not in STRATEGY_NAMES:
    raise ConfigError(f"Unknown strategy '{name}'. Use one of: {', '.join(STRATEGY_NAMES)}.")
  if name == "multi_worker_mirrored":
    # Collective ops must be configured before TensorFlow initialises its devices: build it before anything else.
    check_tf_config(os.environ.get("TF_CONFIG", ""))
    return tf.distribute.MultiWorkerMirroredStrategy()
  gpus = tf.config.list_logical_devices("GPU")
  if name == "auto":
    name = "mirrored" if len(gpus) > 1 else ("one_device" if gpus else "default")
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "one_device":
    return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
  if name == "mirrored":
    devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
    return _mirrored_strategy(tuple(devices))


@functools.cache
def _mirrored_strategy(devices: tuple[str, ...]) -> tf.distribute.MirroredStrategy:
  """The process's MirroredStrategy over `devices` (see the module docstring)."""
  return tf.distribute.MirroredStrategy(devices=list(devices))


def check_tf_config(text: str) -> None:
  """Validates TF_CONFIG for multi-worker training; raises `ConfigError` naming the problem."""
  if not text:
    raise ConfigError("--strategy=multi_worker_mirrored needs the TF_CONFIG environment variable "
                      "(cluster and task), e.g. TF_CONFIG='{\"cluster\": {\"worker\": [\"host1:12345\", "
                      "\"host2:12345\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}'.")
  try:
    tf_config = json.loads(text)
  except json.JSONDecodeError as error:
    raise ConfigError(f"TF_CONFIG is not valid JSON ({error}). Set it to a JSON object with 'cluster' and "
                      "'task' keys.") from None
  if not isinstance(tf_config, dict) or "cluster" not in tf_config or "task" not in tf_config:
    raise ConfigError("TF_CONFIG must be a JSON object with 'cluster' and 'task' keys.")
  task = tf_config["task"]
  members = tf_config["cluster"].get(task.get("type", ""), None) if isinstance(tf_config["cluster"], dict) else None
  if not members:
    raise ConfigError(f"TF_CONFIG task type '{task.get('type')}' is not in the cluster "
                      f"({', '.join(tf_config['cluster']) if isinstance(tf_config['cluster'], dict) else '?'}).")
  index = task.get("index")
  if not isinstance(index, int) or not 0 <= index < len(members):
    raise ConfigError(f"TF_CONFIG task index {index!r} is outside the cluster: '{task.get('type')}' has "
                      f"{len(members)} member(s), so the index must be 0..{len(members) - 1}.")
  host, _, port = str(members[index]).rpartition(":")
  if host in ("localhost", "127.0.0.1", "::1", "[::1]", socket.gethostname()) and port.isdigit():
    _check_port_free(host, int(port))


def _check_port_free(host: str, port: int) -> None:
  with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
    try:
      probe.bind((host.strip("[]"), port))
    except OSError:
      raise ConfigError(f"Port {port} of this worker ({host}:{port} in TF_CONFIG) is already taken by another "
                        "process. Stop that process or give this worker a free port in TF_CONFIG.") from None


def is_chief(strategy: tf.distribute.Strategy) -> bool:
  """True where this process writes the run's files (every process but multi-worker non-chiefs)."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    return True
  task_type, task_id = resolver.task_type, resolver.task_id
  return task_type == "chief" or (task_type == "worker" and task_id == 0) or task_type is None


def num_workers(strategy: tf.distribute.Strategy) -> int:
  """Processes that each run an input pipeline: the workers (and chief) of a cluster, else 1."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None:
    return 1
  jobs = resolver.cluster_spec().as_dict()
  return max(1, sum(len(jobs.get(job, ())) for job in ("chief", "worker")))


def resolve_mixed_precision(name: str) -> str:
  """Maps `auto` to a policy for the devices present: float16 on GPUs of compute capability >= 7.0
  (bfloat16 on >= 8.0, where it is as fast and needs no loss scaling), float32 otherwise."""
  if name not in MIXED_PRECISION_NAMES:
    raise ConfigError(f"Unknown mixed precision '{name}'. Use one of: {', '.join(MIXED_PRECISION_NAMES)}.")
  if name == "off":
    return "float32"
  if name != "auto":
    return name
  capabilities = []
  for gpu in tf.config.list_physical_devices("GPU"):
    capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
    if capability:
      capabilities.append(capability)
  if not capabilities:
    return "float32"
  lowest = min(capabilities)
  if lowest >= (8, 0):
    return "mixed_bfloat16"
  return "mixed_float16" if lowest >= (7, 0) else "float32"


def set_precision_policy(name: str) -> str:
  """Sets the global Keras dtype policy resolved from `name`; returns the policy name."""
  policy = resolve_mixed_precision(name)
  keras.mixed_precision.set_global_policy(policy)
  return policy
