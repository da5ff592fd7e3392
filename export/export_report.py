"""The export report: `report.json` (every figure), `report.md` (a readable table) and two PNG charts.

Classifiers are charted by accuracy and size per artifact; language models (kind `corpus`) by next-token perplexity
and size, and their table shows perplexity and agreement with Keras (`next_token_verification`).

Every file is written atomically (a temporary file beside it, then a rename), so a reader never sees half a report.
"""

from __future__ import annotations

import os

import matplotlib
import numpy as np

from export import artifact_result
from tfmodels.atomic_files import write_json, write_text
from tfmodels.training.history_plot import save_figure

matplotlib.use("Agg")  # Files only: no display is needed or wanted.
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-order

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
ACCURACY_SIZE_PNG = "accuracy_size_per_mode.png"
PERPLEXITY_SIZE_PNG = "perplexity_size_per_mode.png"
LOGIT_ERROR_PNG = "logit_error_histogram.png"
# The kind of a language model's report.
_LANGUAGE_MODEL = "corpus"
# How report.md names the targets of `target_recommendation.TARGETS`.
_TARGET_NAMES = {"cpu": "CPU (LiteRT, XNNPACK)", "gpu": "GPU delegate", "npu_mcu": "NPU or microcontroller"}
# Errors below this are drawn in the first bin of the log-scale histogram (float32 round-off or exact zeros).
_ERROR_FLOOR = 1e-8


def artifact_label(artifact: dict) -> str:
  """A short name of an artifact of the report: `SavedModel serving_bytes`, `tflite full_int8`."""
  return artifact_result.artifact_label(artifact["format"], artifact["mode"], artifact.get("signature"))


def report_files(export_dir: str, kind: str = "image") -> list[str]:
  """The paths `write_report` writes for a model of `kind`: report.json, report.md and the two charts."""
  chart = PERPLEXITY_SIZE_PNG if kind == _LANGUAGE_MODEL else ACCURACY_SIZE_PNG
  return [os.path.join(export_dir, name) for name in (REPORT_JSON, REPORT_MD, chart, LOGIT_ERROR_PNG)]


def write_report(report: dict, export_dir: str, errors: dict[str, np.ndarray]) -> None:
  """Writes report.json, report.md and the charts into `export_dir`.

  Args:
    report: the report (see `Exporter`); JSON-serializable.
    export_dir: where the files go.
    errors: artifact label -> largest absolute logit error per example, for the histogram.
  """
  paths = report_files(export_dir, report["model"]["kind"])
  write_json(paths[0], report)
  write_text(paths[1], markdown(report))
  measured = [a for a in report["artifacts"] if a.get("accuracy") is not None]
  if report["model"]["kind"] == _LANGUAGE_MODEL:
    _plot_quality_and_size(measured, report, paths[2], _draw_perplexity, "perplexity")
  else:
    _plot_quality_and_size(measured, report, paths[2], _draw_accuracy, "accuracy")
  _plot_logit_errors(errors, report, paths[3])


def markdown(report: dict) -> str:
  """The report as Markdown: a summary, one table row per artifact, then the failures."""
  if report["model"]["kind"] == _LANGUAGE_MODEL:
    return _language_model_markdown(report)
  model, dataset = report["model"], report["dataset"]
  lines = [
      f"# Export report: {model['name']}",
      "",
      f"- Model: `{model['architecture']}` from `{model['model_dir']}` ({model['parameters']:,} parameters)",
      f"- Verified on: {dataset['name']} {dataset['split']} split, {dataset['num_examples']} examples "
      f"(Keras accuracy {_percent(report['reference_accuracy'])})",
      f"- Calibration: {dataset['calibration_samples']} {dataset['calibration_split']} examples, batch 1",
      f"- Result: **{'PASSED' if report['passed'] else 'FAILED'}** in {report['seconds']['total']:.1f} s",
  ]
  if model.get("lstm_graph"):
    lines.append(f"- LSTM in TFLite: {model['lstm_graph_note']}")
  lines += [
      "",
      "| artifact | size | accuracy | Keras accuracy | top-1 agreement | max abs logit error | mean abs logit error "
      "| ms / example | passed |",
      "|---|---:|---:|---:|---:|---:|---:|---:|:---:|",
  ]
  for artifact in report["artifacts"]:
    measured = artifact.get("accuracy") is not None
    latency = artifact.get("milliseconds_per_example")
    lines.append("| " + " | ".join([
        artifact_label(artifact),
        _size(artifact.get("size_bytes")),
        _percent(artifact["accuracy"]) if measured else "-",
        _percent(artifact["reference_accuracy"]) if measured else "-",
        _percent(artifact["top1_agreement"]) if measured else "-",
        f"{artifact['max_abs_logit_error']:.3g}" if measured else "-",
        f"{artifact['mean_abs_logit_error']:.3g}" if measured else "-",
        f"{latency:.3f}" if latency is not None else "-",
        "yes" if artifact["passed"] else "**no**",
    ]) + " |")
  return "\n".join(lines + _closing_sections(report))


def _language_model_markdown(report: dict) -> str:
  model, dataset = report["model"], report["dataset"]
  lines = [
      f"# Export report: {model['name']}",
      "",
      f"- Model: `{model['architecture']}` language model from `{model['model_dir']}` ({model['parameters']:,} "
      f"parameters, {model['vocabulary_size']} tokens, a window of {model['sequence_length']})",
      f"- Verified on: {dataset['name']} {dataset['split']} split, {dataset['num_examples']} of "
      f"{dataset['test_examples']} windows; {dataset['scoring']} (Keras perplexity "
      f"{report['reference_perplexity']:.4f}, next-token accuracy {_percent(report['reference_accuracy'])})",
      f"- Calibration: {dataset['calibration_samples']} {dataset['calibration_split']} windows, batch 1",
      f"- Result: **{'PASSED' if report['passed'] else 'FAILED'}** in {report['seconds']['total']:.1f} s",
  ]
  if model.get("lstm_graph"):
    lines.append(f"- LSTM in TFLite: {model['lstm_graph_note']}")
  for artifact in report["artifacts"]:
    if artifact.get("greedy_text_equal") is not None:  # a .tflite file's prefill and decode
      lines.append(f"- {artifact_label(artifact)}: greedy text through prefill and decode "
                   f"{'equal to' if artifact['greedy_text_equal'] else '**not**'} full-window Keras' on "
                   f"{artifact['generation_prompts']} test prompts ({artifact['generated_tokens']} tokens)")
    elif artifact.get("generated_tokens"):
      lines.append(f"- {artifact_label(artifact)}: greedy text {'equal to' if artifact['passed'] else '**not**'} "
                   f"Keras' on {artifact['num_examples']} test prompts ({artifact['generated_tokens']} tokens)")
  lines += [
      "",
      "| artifact | size | perplexity | / Keras | top-1 agreement | next-token accuracy | max abs logit error "
      "| prefill ms | decode ms / token | passed |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
  ]
  for artifact in report["artifacts"]:
    measured = artifact.get("perplexity") is not None
    prefill = artifact.get("milliseconds_per_prefill")
    latency = artifact.get("milliseconds_per_decode", artifact.get("milliseconds_per_example"))
    lines.append("| " + " | ".join([
        artifact_label(artifact),
        _size(artifact.get("size_bytes")),
        f"{artifact['perplexity']:.4f}" if measured else "-",
        f"{artifact['perplexity_ratio']:.4f}" if measured else "-",
        _percent(artifact["top1_agreement"]) if measured else "-",
        _percent(artifact["accuracy"]) if measured else "-",
        f"{artifact['max_abs_logit_error']:.3g}" if measured else "-",
        f"{prefill:.3f}" if prefill is not None else "-",
        f"{latency:.3f}" if latency is not None else "-",
        "yes" if artifact["passed"] else "**no**",
    ]) + " |")
  return "\n".join(lines + _closing_sections(report))


def _closing_sections(report: dict) -> list[str]:
  """The failures, the ops of each `.tflite` file and the gates, as Markdown lines."""
  lines = []
  failures = [f"- {artifact_label(a)}: {failure}" for a in report["artifacts"] for failure in a["failures"]]
  if failures:
    lines += ["", "## Failures", "", *failures]
  if report.get("recommendations"):
    lines += ["", "## Which file to ship", ""]
    for target, choice in report["recommendations"].items():
      mode = f"`{choice['mode']}`" if choice["mode"] else "none"
      lines.append(f"- {_TARGET_NAMES.get(target, target)}: {mode} ({choice['why']})")
  delegated = [a for a in report["artifacts"] if a.get("xnnpack")]
  if delegated:
    lines += ["", "## XNNPACK (LiteRT's CPU delegate)", ""]
    for artifact in delegated:
      xnnpack = artifact["xnnpack"]
      lines.append(f"- {artifact['mode']}: {xnnpack['summary']}")
      lines += [f"  - {name}: {reason}" for name, reason in xnnpack.get("reasons", {}).items()]
  micro = [a for a in report["artifacts"] if a.get("micro")]
  if micro:
    lines += ["", "## Microcontrollers", ""]
    for artifact in micro:
      integer = "integer-only" if (artifact.get("ops") or {}).get("integer_only") else "not integer-only"
      lines.append(f"- {artifact['mode']} ({integer}): {artifact['micro']['summary']}")
  ops = [a for a in report["artifacts"] if a.get("ops")]
  if ops:
    lines += ["", "## TFLite ops", ""]
    for artifact in ops:
      names = ", ".join(f"{op['name']} v{op['version']}" for op in artifact["ops"]["ops"])
      lines.append(f"- {artifact['mode']}: {names}")
  return lines + ["", f"Gates: `{report['gates']}`", ""]


def _plot_quality_and_size(artifacts: list[dict], report: dict, path: str, draw_quality, quality: str) -> None:
  """Two bar charts side by side: a quality figure per artifact (`draw_quality`), and the size."""
  labels = [artifact_label(a).replace(" ", "\n", 1) for a in artifacts]
  positions = np.arange(len(artifacts))
  colors = ["tab:gray" if a["format"] == "saved_model" else "tab:blue" for a in artifacts]
  figure, (quality_axis, size_axis) = plt.subplots(1, 2, figsize=(max(10, 2.8 * len(artifacts)), 4.5))
  draw_quality(quality_axis, artifacts, report, positions, colors)
  sizes = [a["size_bytes"] / 1024 for a in artifacts]
  bars = size_axis.bar(positions, sizes, color=colors)
  size_axis.bar_label(bars, fmt="%.0f", fontsize=8)
  size_axis.set_ylabel("size (KiB)")
  size_axis.set_title("Size")
  for axis in (quality_axis, size_axis):
    axis.set_xticks(positions, labels, fontsize=8)
    axis.grid(axis="y", alpha=0.3)
  figure.suptitle(f"{report['model']['name']}: {quality} and size per artifact")
  figure.tight_layout()
  save_figure(figure, path)


def _draw_accuracy(axis, artifacts: list[dict], report: dict, positions: np.ndarray, colors: list[str]) -> None:
  accuracies = [100 * a["accuracy"] for a in artifacts]
  bars = axis.bar(positions, accuracies, color=colors)
  axis.bar_label(bars, fmt="%.2f", fontsize=8)
  axis.axhline(100 * report["reference_accuracy"], color="tab:red", linestyle="--",
               label=f"Keras {_percent(report['reference_accuracy'])}")
  low = min(accuracies + [100 * report["reference_accuracy"]], default=0)
  axis.set_ylim(max(0, low - 5), min(100, max(accuracies + [low]) + 2))
  axis.set_ylabel(f"test accuracy (%), {report['dataset']['num_examples']} examples")
  axis.set_title("Accuracy")
  axis.legend(loc="lower right")


def _draw_perplexity(axis, artifacts: list[dict], report: dict, positions: np.ndarray, colors: list[str]) -> None:
  perplexities = [a["perplexity"] for a in artifacts]
  bars = axis.bar(positions, perplexities, color=colors)
  axis.bar_label(bars, fmt="%.3f", fontsize=8)
  reference = report["reference_perplexity"]
  axis.axhline(reference, color="tab:red", linestyle="--", label=f"Keras {reference:.3f}")
  axis.axhline(reference * report["gates"]["int8_max_perplexity_ratio"], color="tab:orange", linestyle=":",
               label="int8 gate")
  values = perplexities + [reference]
  axis.set_ylim(0.95 * min(values), 1.02 * max(values + [reference * report["gates"]["int8_max_perplexity_ratio"]]))
  axis.set_ylabel(f"next-token perplexity, {report['dataset']['num_examples']} test windows")
  axis.set_title("Perplexity (lower is better)")
  axis.legend(loc="lower right")


def _plot_logit_errors(errors: dict[str, np.ndarray], report: dict, path: str) -> None:
  rows = max(len(errors), 1)
  figure, axes = plt.subplots(rows, 1, figsize=(8, 1.6 * rows + 1), sharex=True, squeeze=False)
  bins = np.logspace(np.log10(_ERROR_FLOOR), 2, 41)
  for axis, (label, values) in zip(axes[:, 0], errors.items()):
    axis.hist(np.clip(values, _ERROR_FLOOR, None), bins=bins, color="tab:blue")
    axis.set_xscale("log")
    axis.set_ylabel("examples")
    axis.set_title(f"{label}: max {values.max():.2g}, median {np.median(values):.2g}" if values.size else label,
                   fontsize=9, loc="left")
    axis.grid(alpha=0.3)
  axes[-1, 0].set_xlabel(f"largest |logit - Keras logit| per example (values below {_ERROR_FLOOR:g} in the first bin)")
  figure.suptitle(f"{report['model']['name']}: logit error against Keras")
  figure.tight_layout()
  save_figure(figure, path)


def _percent(value: float) -> str:
  return f"{100 * value:.2f} %"


def _size(size: int | None) -> str:
  if size is None:
    return "-"
  return f"{size / 1024:,.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.2f} MiB"
