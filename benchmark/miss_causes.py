"""Why a figure misses its goal, written from the evidence the benchmark measured beside it.

Each function reads the run's details (the `details` part of the results) and returns one paragraph; the numbers in
it are the measured ones, so the explanation changes with the measurements.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmark.figure import Figure
from edge.op_delegation import OpDelegation, counted_operators, undelegated_reason


# Measured before the project (same CNN, batch 128, 2 cores): where the goal of train_vs_torch_seed comes from.
_SEED_KERAS_FIT = 4100
_SEED_TORCH = 2200


def cause(key: str, figure: Figure, details: dict) -> str | None:
  """The cause of figure `key` missing its goal; None when it meets the goal, has none, or was skipped."""
  if figure.passed is not False:
    return None
  explain = _CAUSES.get(key)
  text = explain(figure, details) if explain else ""
  low, high, threshold = figure.minimum, figure.maximum, figure.goal.threshold
  if low is not None and high is not None and low <= threshold <= high:
    text += (f" The paired runs range {low:.3g}–{high:.3g} around the goal of {threshold:g}: part of the miss is the "
             "shared machine's noise.")
  return text.strip() or None


def _median(values) -> float:
  return float(np.median(values))


def _paired(numerators, denominators) -> float:
  """The median ratio of runs taken back to back (as the figures are computed)."""
  return _median(np.asarray(numerators, np.float64) / np.asarray(denominators, np.float64))


def _training_loop(figure: Figure, details: dict) -> str:
  runs = details["training"]["cnn"]["runs"]
  project, keras_fit = _median(runs["project"]), _median(runs["keras_fit"])
  cached = _median(runs["project_cached_batches"])
  goal = figure.goal.threshold
  loop = _paired(runs["project_cached_batches"], runs["keras_fit"])
  pipeline = _paired(runs["project"], runs["project_cached_batches"])
  text = (f"Project loop {project:,.0f} vs Keras `fit` {keras_fit:,.0f} examples/s (medians). Fed the same batches "
          f"as tensors already in memory (no tf.data), the project's loop reaches {cached:,.0f} ({loop:.2f}× `fit`, "
          "paired runs): ")
  if loop < goal:
    return text + ("the gap is in the loop itself: a Python loop that calls the compiled step and reads loss and "
                   "accuracy back after every step, where `fit` runs its steps without reading back.")
  if pipeline < goal:
    return text + (f"the loop keeps up, and the input pipeline costs {1 - pipeline:.0%} (shuffle buffer, "
                   f"batching and prefetch threads share the {details['training']['threads']} cores with the step).")
  return text + "neither the loop nor the pipeline accounts for the gap on its own: the runs are noisy."


def _pipeline(figure: Figure, details: dict) -> str:
  text = details["training"]["text"]
  runs = text["runs"]
  real, cached = _median(runs["real_pipeline"]), _median(runs["cached_tensors"])
  examples = text["batch_size"] * text["steps_per_run"]
  stall = text["first_batch_seconds"] / (examples / real)
  goal = figure.goal.threshold
  result = (f"Real pipeline {real:,.0f} vs cached tensors {cached:,.0f} examples/s. Built afresh, the pipeline "
            f"tokenizes and caches all {examples:,} texts before the shuffle buffer hands out the first batch: "
            f"{text['first_batch_seconds']:.2f} s, {stall:.0%} of a run, not overlapped with training.")
  later = _paired(runs["later_epochs"], runs["cached_tensors"]) if "later_epochs" in runs else None
  if later is not None:
    result += f" From the second epoch on, training reads the cache: {later:.2f}× the cached tensors."
  if stall >= 1 - goal:
    return result + " The wait before the first batch is the cause."
  if later is not None and later < goal:
    return result + (" The wait is small; the gap is the per-step cost of shuffling, batching and prefetching on "
                     f"{details['training']['threads']} cores shared with the training step.")
  return result + " Neither the wait nor the later epochs account for the gap: the runs are noisy."


def _torch(figure: Figure, details: dict) -> str:
  training = details["training"]
  runs = training["cnn"]["runs"]
  project, torch_runs, keras_fit = _median(runs["project"]), runs["torch"], _median(runs["keras_fit"])
  torch_median = _median(torch_runs)
  return (f"Project {project:,.0f}, Keras `fit` {keras_fit:,.0f}, PyTorch {torch_median:,.0f} examples/s "
          f"(PyTorch runs {min(torch_runs):,.0f}–{max(torch_runs):,.0f}) with {training['threads']} threads each: "
          f"`fit` is {keras_fit / torch_median:.2f}× PyTorch here. The goal comes from the figures measured before "
          f"the project on a 2-core machine, `fit` ≈ {_SEED_KERAS_FIT:,} and the seed's PyTorch CNN ≈ "
          f"{_SEED_TORCH:,} examples/s (1.9×); the reference here, a plain DataLoader loop over in-memory tensors, "
          f"runs {torch_median / _SEED_TORCH:.1f}× the seed's PyTorch figure, `fit` "
          f"{keras_fit / _SEED_KERAS_FIT:.1f}× its own.")


# What computes a mode's layers, as the causes name it.
_KERNELS = {"dynamic_int8": "dynamic-range (int8 weights, each layer's input quantized at run time)",
            "full_int8": "int8 (int8 weights and activations)", "float16": "float16-weight (weights widened at load)",
            "float32": "float32"}


def _best_mode(architecture: str) -> Callable[[Figure, dict], str]:
  def explain(figure: Figure, details: dict) -> str:
    inference = details["inference"]
    threads = str(inference["threads"][0])
    best = figure.evidence["mode"]
    ms = figure.evidence["median_ms"]
    delegation = inference["architectures"][architecture]["litert_delegation"]
    others = ", ".join(f"{mode} {value:.3f}" for mode, value in ms.items() if mode not in (best, "float32"))
    text = (f"Batch 1, {threads} thread{'s' if threads != '1' else ''}: {best} {ms[best]:.3f} ms against float32 "
            f"{ms['float32']:.3f} ms (medians; {others} ms).")
    for mode in dict.fromkeys(("float32", best)):
      entry = delegation[mode]
      summary = OpDelegation(entry["operators"], entry["delegated"], entry["undelegated"], entry["partitions"])
      seconds = entry["seconds"]
      text += (f" In {mode} {summary.summary()}; {1000 * seconds['xnnpack']:.3f} ms with XNNPACK, "
               f"{1000 * seconds['builtin_kernels']:.3f} ms on LiteRT's own kernels alone.")
    if "UNIDIRECTIONAL_SEQUENCE_LSTM" in delegation[best]["undelegated"]:
      text += (" XNNPACK has no LSTM kernel: the fused LSTM ops run on LiteRT's own kernels in every mode, so the "
               f"gain is that of LiteRT's {_KERNELS.get(best, best)} LSTM kernel over its float one (with and without "
               "XNNPACK the times above are the same).")
    elif delegation[best]["partitions"] == delegation["float32"]["partitions"] == 1:
      text += (" Both files run in one XNNPACK partition, so the difference is the kernels alone: XNNPACK's "
               f"{_KERNELS.get(best, best)} ones against its float32 ones.")
    fixed = delegation["float32"]["seconds"].get("call_without_invoke")
    if fixed is not None:
      text += (f" Setting the input, resetting the state and reading the output cost {fixed * 1000:.4f} ms of every "
               "call.")
    return text
  return explain


def _partitions(figure: Figure, details: dict) -> str:
  del details  # the figure's evidence holds the operators
  undelegated = figure.evidence["undelegated"]
  return "Outside XNNPACK: " + "; ".join(f"{name} x{count}: {undelegated_reason(name, set())}"
                                         for name, count in undelegated.items()) + "."


def _batch_throughput(figure: Figure, details: dict) -> str:
  inference = details["inference"]
  mode = figure.evidence["mode"]
  single = 1000 * _median(inference["latency_rounds"]["cnn"][f"litert_{mode}"])
  batch = inference["throughput_batch_size"]
  fixed = inference["architectures"]["cnn"]["litert_delegation"][mode]["seconds"].get("call_without_invoke")
  text = (f"LiteRT {mode}, one thread: a batch-1 call takes {single:.4f} ms, a batch-{batch} call "
          f"{single / figure.value:.4f} ms per example (paired rounds). Batching shares what a call costs besides its "
          "examples' own work")
  if fixed is not None:
    text += (f": setting the input and reading the output take {1000 * fixed:.4f} ms of a call, the delegate's "
             "dispatch of its operators the rest of that share")
  return text + (". The CNN's convolutions and dense layers cost the same per example at any batch size, and at "
                 "batch 1 they are already most of a call: more throughput needs more threads (the batch-32, "
                 "2-thread column).")


def _size(bytes_per_weight: int) -> Callable[[Figure, dict], str]:
  def explain(figure: Figure, details: dict) -> str:
    ratios = figure.evidence["ratios"]
    worst = max(ratios, key=ratios.get)
    architecture, mode = worst.split("/")
    model = details["models"][architecture]
    size, float32, parameters = model["sizes"][mode], model["sizes"]["float32"], model["parameters"]
    extra = size - bytes_per_weight * parameters
    return (f"Largest: the {architecture} in {mode}, {size:,} of {float32:,} bytes ({ratios[worst]:.3f}). Its "
            f"{parameters:,} parameters need {bytes_per_weight * parameters:,} bytes at {bytes_per_weight} byte(s) "
            f"each; the other {extra:,} bytes ({extra / float32:.3f} of float32) are what does not shrink: "
            "32-bit biases, quantization scales, the graph and the signature.")
  return explain


def _cold_start(figure: Figure, details: dict) -> str:
  cold = details["cold_start"]
  seconds = {name: _median(values) for name, values in cold["seconds"].items()}
  edge = next(name for name in cold["seconds"] if name.endswith("_edge"))
  return (f"Python itself starts in {seconds['python_start']:.2f} s; importing the edge runtime (numpy, Pillow, "
          f"LiteRT, absl) takes {seconds['edge_imports'] - seconds['python_start']:.2f} s more; reading the metadata, "
          f"building the interpreter, preparing the input and predicting take the remaining "
          f"{seconds[edge] - seconds['edge_imports']:.2f} s. TensorFlow imported: "
          f"{'yes' if cold['edge_imports_tensorflow'] else 'no'}.")


def _export(figure: Figure, details: dict) -> str:
  model = next(iter(details["models"].values()))
  stages = model["exporter_seconds"]
  wall = _median(model["export_seconds"])
  inside = stages.get("total", 0.0)
  named = sum(stages.get(key, 0.0) for key in ("saved_model", "tflite_conversion", "tflite_verification"))
  return (f"Of the command's {wall:.1f} s: SavedModel {stages.get('saved_model', 0):.1f} s, conversion "
          f"{stages.get('tflite_conversion', 0):.1f} s (four converter processes, two at a time, each importing "
          f"TensorFlow), verification {stages.get('tflite_verification', 0):.1f} s on {model['verified_examples']:,} "
          f"examples, {inside - named:.1f} s loading the model and the test split and computing the Keras reference "
          f"logits, and {wall - inside:.1f} s starting the tool (importing TensorFlow).")


def _float_operators(figure: Figure, details: dict) -> str:
  del details  # the figure's evidence holds the operators
  left = {architecture: ops for architecture, ops in figure.evidence["float_ops"].items() if ops}
  return " ".join(f"The {architecture}'s full_int8 file computes in float at {counted_operators(ops)}."
                  for architecture, ops in left.items())


_CAUSES: dict[str, Callable[[Figure, dict], str]] = {
    "train_vs_plain_keras": _training_loop,
    "pipeline_efficiency": _pipeline,
    "train_vs_torch_seed": _torch,
    "cnn_best_cpu_mode_over_float32_latency": _best_mode("cnn"),
    "lstm_best_cpu_mode_over_float32_latency": _best_mode("lstm"),
    "transformer_best_cpu_mode_over_float32_latency": _best_mode("transformer"),
    "transformer_xnnpack_partitions_float32": _partitions,
    "litert_batch32_over_batch1_throughput": _batch_throughput,
    "int8_over_float32_size": _size(1),
    "float16_over_float32_size": _size(2),
    "full_int8_integer_only": _float_operators,
    "edge_cold_start_s": _cold_start,
    "export_verify_s": _export,
}
