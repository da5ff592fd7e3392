"""The published figures, each with the goal it is held to (`GOALS`)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Goal:
  """One figure of the benchmark and what it should reach.

  Attributes:
    key: the figure's key in the results JSON.
    title: what the figure is, for the table.
    unit: `x` for a ratio, `s` for seconds, `share` for a share of 0..1 and `count` for a count (both written without
      a unit), else the unit as written (`KiB`).
    comparison: `>=` or `<=`; empty for a reference figure without a goal.
    threshold: the value the figure must reach; None without a goal.
  """

  key: str
  title: str
  unit: str
  comparison: str = ""
  threshold: float | None = None

  def __post_init__(self):
    if self.comparison not in ("", ">=", "<="):
      raise ValueError(f"Goal {self.key}: comparison must be '>=', '<=' or empty, got '{self.comparison}'.")
    if bool(self.comparison) != (self.threshold is not None):
      raise ValueError(f"Goal {self.key}: a comparison needs a threshold and a threshold a comparison.")

  def passed(self, value: float) -> bool | None:
    """Whether `value` reaches the goal; None when there is no goal."""
    if not self.comparison:
      return None
    return value >= self.threshold if self.comparison == ">=" else value <= self.threshold

  @property
  def suffix(self) -> str:
    """What follows a value in the tables: `×` after a ratio, ` s` after seconds, nothing after a share."""
    return {"x": "×", "s": " s", "share": "", "count": ""}.get(self.unit, f" {self.unit}")

  def describe(self) -> str:
    """The goal as written in the table, e.g. `≥ 0.97` or `≤ 0.5 s`; `—` without one."""
    if not self.comparison:
      return "—"
    sign = "≥" if self.comparison == ">=" else "≤"
    return f"{sign} {self.threshold:g}{' s' if self.unit == 's' else ''}"


GOALS: tuple[Goal, ...] = (
    Goal("train_vs_plain_keras", "training: project loop / plain Keras `fit` (examples/s)", "x", ">=", 0.97),
    Goal("pipeline_efficiency", "training: real tf.data pipeline / cached tensors (examples/s)", "x", ">=", 0.95),
    Goal("train_vs_torch_seed", "training: project CNN / the seed's PyTorch CNN (examples/s)", "x", ">=", 1.8),
    # Deploy targets: the file to ship to a CPU is the fastest that passed its gates (`cpu` in the export report).
    Goal("cnn_best_cpu_mode_over_float32_latency",
         "CNN latency: LiteRT fastest passing mode / float32 (batch 1, 1 thread)", "x", "<=", 0.30),
    Goal("lstm_best_cpu_mode_over_float32_latency",
         "LSTM latency: LiteRT fastest passing mode / float32 (batch 1, 1 thread)", "x", "<=", 0.60),
    Goal("transformer_best_cpu_mode_over_float32_latency",
         "Transformer latency: LiteRT fastest passing mode / float32 (batch 1, 1 thread)", "x", "<=", 0.60),
    Goal("transformer_xnnpack_partitions_float32",
         "Transformer float32 .tflite: XNNPACK partitions (1 = the delegate runs the graph in one piece)", "count", "<=",
         1),
    Goal("litert_batch32_over_batch1_throughput",
         "CNN throughput: LiteRT batch 32 / batch 1, fastest passing mode (examples/s, 1 thread)", "x", ">=", 3.0),
    Goal("tflm_arena_kib", "CNN full_int8 on TensorFlow Lite Micro: tensor arena (reference)", "KiB"),
    # full_int8 is the artifact of integer-only NPUs and microcontrollers; its CPU latency is shown, not held to a goal.
    Goal("cnn_int8_over_float32_latency", "CNN latency: LiteRT full_int8 / float32 (batch 1, 1 thread; NPU/MCU "
         "artifact, reference)", "x"),
    Goal("lstm_int8_over_float32_latency", "LSTM latency: LiteRT full_int8 / float32 (batch 1, 1 thread; NPU/MCU "
         "artifact, reference)", "x"),
    Goal("transformer_int8_over_float32_latency", "Transformer latency: LiteRT full_int8 / float32 (batch 1, "
         "1 thread; NPU/MCU artifact, reference)", "x"),
    Goal("int8_over_float32_size", "size: int8 .tflite / float32 .tflite (largest over modes and models)", "x", "<=",
         0.26),
    Goal("float16_over_float32_size", "size: float16 .tflite / float32 .tflite (largest over models)", "x", "<=",
         0.51),
    Goal("full_int8_integer_only", "share of the classifiers whose full_int8 .tflite is integer-only (no operator "
         "reads or writes a float tensor)", "share", ">=", 1.0),
    Goal("edge_cold_start_s", "cold start to first prediction: edge runtime (no TensorFlow), CNN", "s", "<=", 0.5),
    Goal("tf_cold_start_s", "cold start to first prediction: TensorFlow SavedModel, CNN (reference)", "s"),
    Goal("export_verify_s", "export + verification, all four modes and the SavedModel, CNN", "s", "<=", 60.0),
)
GOAL_KEYS = tuple(goal.key for goal in GOALS)

# The streaming data layer's figures, measured by `tools/benchmark_data.py` (a run of their own).
DATA_GOALS: tuple[Goal, ...] = (
    Goal("data_peak_rss_ratio", "peak RSS of one CNN epoch on an image folder of 8N images / of N images", "x", "<=",
         1.15),
    Goal("streaming_pipeline_efficiency",
         "training: CNN batches streamed from the prepared shards / the same batches held as tensors (examples/s)",
         "x", ">=", 0.95),
    Goal("prepare_images_per_s", "preparation of an image folder: images per second (reference)", "/s"),
)
DATA_GOAL_KEYS = tuple(goal.key for goal in DATA_GOALS)

# Text generation's figures, measured by `tools/benchmark_generation.py` (a run of their own).
GENERATION_GOALS: tuple[Goal, ...] = (
    Goal("generation_speedup_transformer", "transformer_lm generation: full-window file / prefill-decode file "
         "(LiteRT float32, 1 thread, ms per character)", "x", ">=", 10.0),
    Goal("generation_speedup_lstm", "lstm_lm generation: full-window file / prefill-decode file (LiteRT float32, "
         "1 thread, ms per character)", "x", ">=", 30.0),
)
GENERATION_GOAL_KEYS = tuple(goal.key for goal in GENERATION_GOALS)


def goal_for(key: str) -> Goal:
  """The goal of figure `key`; raises `KeyError` for an unknown figure."""
  for goal in GOALS + DATA_GOALS + GENERATION_GOALS:
    if goal.key == key:
      return goal
  raise KeyError(f"Unknown figure '{key}': expected one of {', '.join(GOAL_KEYS)}.")
