"""Writes a benchmark's results: the JSON of every figure, PNG charts, and the generated section of BENCHMARKS.md.

The Markdown file keeps everything outside the markers `<!-- benchmark:begin -->` and `<!-- benchmark:end -->`; the
section between them is replaced (or appended, the first time). Every file is written atomically
(`tfmodels.atomic_files`), so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import statistics

from benchmark.goal import GOALS
from edge import model_metadata
from tfmodels.atomic_files import write_text, writing

BEGIN_MARKER = "<!-- benchmark:begin -->"
END_MARKER = "<!-- benchmark:end -->"
CHARTS = {"training": "training_throughput.png", "latency": "inference_latency.png", "size": "model_size.png",
          "cold_start": "cold_start.png"}
RUNTIME_NAMES = {"keras_predict": "Keras `predict`", "tf_function": "`tf.function` call",
                 "saved_model": "SavedModel signature", "litert_float32": "LiteRT float32",
                 "litert_float16": "LiteRT float16", "litert_dynamic_int8": "LiteRT dynamic_int8",
                 "litert_full_int8": "LiteRT full_int8"}


def write_outputs(results: dict, json_path: str, output_dir: str, markdown_path: str | None) -> list[str]:
  """Writes the charts into `output_dir`, the JSON to `json_path` and the section into `markdown_path`; returns
  the paths written."""
  os.makedirs(output_dir, exist_ok=True)
  files = write_charts(results, output_dir)
  results = {**results, "files": files}
  write_atomically(json_path, json.dumps(results, indent=2, sort_keys=False) + "\n")
  files = [*files, json_path]
  if markdown_path:
    chart_dir = os.path.relpath(output_dir, os.path.dirname(os.path.abspath(markdown_path)) or ".")
    update_markdown(markdown_path, markdown_section(results, chart_dir))
    files.append(markdown_path)
  return files


def write_atomically(path: str, text: str) -> None:
  """Writes `text` to `path` atomically (`tfmodels.atomic_files.write_text`), creating its folder: the reports'
  paths come from flags."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  write_text(path, text)


def update_markdown(path: str, section: str, markers: tuple[str, str] = (BEGIN_MARKER, END_MARKER)) -> None:
  """Replaces the generated section between `markers` of the Markdown file (or appends it); everything else stays
  as it is."""
  BEGIN_MARKER, END_MARKER = markers  # pylint: disable=invalid-name
  text = ""
  if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
      text = f.read()
  block = f"{BEGIN_MARKER}\n{section.strip()}\n{END_MARKER}"
  begin, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
  if begin >= 0 and end > begin:
    text = text[:begin] + block + text[end + len(END_MARKER):]
  elif begin >= 0 or end >= 0:
    raise ValueError(f"{path} holds only one of the markers {BEGIN_MARKER} and {END_MARKER}: restore the other.")
  else:
    text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
  write_atomically(path, text)


def markdown_section(results: dict, chart_dir: str = "benchmarks") -> str:
  """The generated Markdown section: command, machine, every figure with its goal, the misses' causes, the
  inference matrix, the training runs and the cold starts, and the charts."""
  machine = results["machine"]
  versions = ", ".join(f"{name} {version}" for name, version in machine["versions"].items() if version)
  settings = results["settings"]
  lines = [
      "## Speed and size, side by side (generated)",
      "",
      "Written by `python tools/benchmark.py` (the full run: about 15 min on a quiet 2-core machine, longer on a "
      "shared one; `--quick`: about 3 min). Do not edit this section by hand: the next run replaces it. Every "
      "figure is in `benchmarks/results.json`.",
      "",
      f"This run: `{results['command']}` ({'quick' if results['quick'] else 'full'}), {results['seconds'] / 60:.1f} "
      f"min, {machine['date']}. Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
      f"{machine['system']}, load average {machine['load_average']} at the start and "
      f"{machine.get('load_average_end')} at the end; Python {machine['python']}, "
      f"{versions}.",
      "",
      f"Method: warm-ups first; then {settings['repeats']} rounds in which each compared command runs once, in turn "
      "(A B A B ...), each in a process of its own with its threads pinned before its framework starts "
      f"(training: {max(settings['threads'])} intra-op and inter-op threads for TensorFlow and PyTorch alike; "
      f"inference: {_threads(settings['threads'])} for TensorFlow and LiteRT); the same "
      "examples for every command. A ratio is the median of the ratios of back-to-back runs, shown with their "
      "range; times are medians with their range over rounds.",
      "",
      "| figure | value | min–max | goal | result |",
      "|---|---|---|---|---|",
  ]
  for goal in GOALS:
    figure = results[goal.key]
    if figure["skipped"]:
      lines.append(f"| `{goal.key}`: {goal.title} | skipped | | {goal.describe()} | {figure['skipped']} |")
      continue
    unit = goal.suffix
    result = {True: "**pass**", False: "**MISS**", None: "reference"}[figure["passed"]]
    lines.append(f"| `{goal.key}`: {goal.title} | **{_number(figure['value'])}{unit}** | "
                 f"{_number(figure['min'])}–{_number(figure['max'])} | {goal.describe()} | {result} |")
  misses = [(goal, results[goal.key]) for goal in GOALS if results[goal.key]["passed"] is False]
  lines += ["", "How each figure is measured:", ""]
  lines += [f"- `{goal.key}`: {results[goal.key]['method']}." for goal in GOALS if results[goal.key]["method"]]
  if misses:
    lines += ["", "### Missed goals and their measured causes", ""]
    lines += [f"- `{goal.key}` ({_number(figure['value'])}{goal.suffix}, goal "
              f"{goal.describe()}): {figure['cause'] or 'no cause measured.'}" for goal, figure in misses]
  lines += _inference_tables(results["details"])
  lines += _training_table(results["details"]["training"])
  lines += _cold_start_table(results["details"]["cold_start"])
  lines += ["", "### Charts", ""]
  lines += [f"![{name}]({chart_dir}/{file})" for name, file in CHARTS.items()
            if any(path.endswith(file) for path in results.get("files", []))]
  return "\n".join(lines) + "\n"


def _inference_tables(details: dict) -> list[str]:
  inference = details["inference"]
  threads = [str(value) for value in inference["threads"]]
  lines = ["", f"### Inference, batch 1 (latency in ms: median / p90; throughput at batch "
               f"{inference['throughput_batch_size']} in examples/s)", ""]
  for architecture, runtimes in inference["architectures"].items():
    model = details["models"][architecture]
    lines += [f"**{architecture}** ({model['dataset']}, {model['parameters']:,} parameters; accuracy on the first "
              f"{inference['examples']:,} test examples):", "",
              "| runtime | size | accuracy | " + " | ".join(_threads([t]) for t in threads) + " | " +
              " | ".join(f"batch {inference['throughput_batch_size']}, {_threads([t])}" for t in threads) + " |",
              "|---" * (3 + 2 * len(threads)) + "|"]
    for runtime, entry in runtimes.items():
      if runtime == "litert_delegation":
        continue
      latency = " | ".join(f"{_number(entry['latency_ms'][t]['median'])} / {_number(entry['latency_ms'][t]['p90'])}"
                           for t in threads)
      throughput = " | ".join(_number(entry["throughput_examples_per_second"][t]["median"])
                              if entry["throughput_examples_per_second"][t]["supported"] else "n/a"
                              for t in threads)
      lines.append(f"| {RUNTIME_NAMES.get(runtime, runtime)} | {_size(entry['size_bytes'])} | "
                   f"{100 * entry['accuracy']:.2f} % | {latency} | {throughput} |")
    reasons = {entry["throughput_examples_per_second"][threads[0]].get("reason") for entry in runtimes.values()
               if isinstance(entry, dict) and "throughput_examples_per_second" in entry}
    reasons.discard(None)
    if reasons:
      lines += ["", f"n/a: {'; '.join(sorted(reasons))} (the `.tflite` files are exported for batch 1)."]
    delegation = runtimes.get("litert_delegation", {})
    if delegation:
      lines += ["", "LiteRT operators and XNNPACK, batch 1, 1 call at a time (ms with XNNPACK / LiteRT's own "
                    "kernels only):", ""]
      for mode, entry in delegation.items():
        undelegated = ", ".join(f"{name} ×{count}" if count > 1 else name
                                for name, count in entry["undelegated"].items()) or "none"
        lines.append(f"- {mode}: {sum(entry['delegated'].values())} of {sum(entry['operators'].values())} "
                     f"operators in {entry['partitions']} XNNPACK partition(s), "
                     f"{_number(1000 * entry['seconds']['xnnpack'])} / "
                     f"{_number(1000 * entry['seconds']['builtin_kernels'])} ms; outside XNNPACK: {undelegated}")
    lines.append("")
  return lines


def _training_table(training: dict) -> list[str]:
  names = {"project": "project loop (`tools/train.py`'s epoch loop)", "keras_fit": "plain Keras `fit` on arrays",
           "torch": "PyTorch, same CNN", "project_cached_batches": "project loop, batches cached as tensors",
           "real_pipeline": "project loop, real pipeline built afresh (first epoch: tokenizes)",
           "later_epochs": "project loop, real pipeline from the cache (later epochs)",
           "cached_tensors": "project loop, batches cached as tensors"}
  lines = ["### Training runs (examples/s: median, min–max)", "",
           f"CNN: {training['cnn']['dataset']}, batch {training['cnn']['batch_size']}, "
           f"{training['cnn']['steps_per_run']} steps a run; Transformer: {training['text']['dataset']}, batch "
           f"{training['text']['batch_size']}, {training['text']['steps_per_run']} steps a run; "
           f"{training['threads']} threads.", "",
           "| model | command | examples/s | min–max |", "|---|---|---|---|"]
  for model, part in (("CNN", training["cnn"]), ("Transformer", training["text"])):
    for name, values in part["runs"].items():
      lines.append(f"| {model} | {names.get(name, name)} | {_number(statistics.median(values))} | "
                   f"{_number(min(values))}–{_number(max(values))} |")
  if training["cnn"].get("torch"):
    lines += ["", f"PyTorch: {training['cnn']['torch']}."]
  return lines + [""]


def _cold_start_table(cold: dict) -> list[str]:
  lines = [f"### Cold start: process start to first prediction (seconds, {cold['rounds']} alternating rounds)", "",
           "| command | median | min–max |", "|---|---|---|"]
  for name, values in cold["seconds"].items():
    lines.append(f"| `{cold['commands'][name]}` | {_number(statistics.median(values))} | "
                 f"{_number(min(values))}–{_number(max(values))} |")
  lines += ["", f"The edge command imports TensorFlow: {'yes' if cold['edge_imports_tensorflow'] else 'no'} "
                "(checked with `python -X importtime`)."]
  return lines


def write_charts(results: dict, output_dir: str) -> list[str]:
  """Draws the charts into `output_dir`; returns their paths."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top

  details = results["details"]
  paths = []
  for name, draw in (("training", _training_chart), ("latency", _latency_chart), ("size", _size_chart),
                     ("cold_start", _cold_start_chart)):
    figure = draw(pyplot, details)
    if figure is None:
      continue
    path = os.path.join(output_dir, CHARTS[name])
    with writing(path) as temporary:
      figure.savefig(temporary, format="png", dpi=110, bbox_inches="tight")
    pyplot.close(figure)
    paths.append(path)
  return paths


def _training_chart(pyplot, details: dict):
  training = details["training"]
  figure, axes = pyplot.subplots(1, 2, figsize=(11, 3.6))
  for axis, (title, part) in zip(axes, (("CNN", training["cnn"]), ("Transformer", training["text"]))):
    names = list(part["runs"])
    for index, name in enumerate(names):
      values = part["runs"][name]
      axis.scatter([index] * len(values), values, s=14, alpha=0.6)
      axis.hlines(statistics.median(values), index - 0.3, index + 0.3, color="black")
    axis.set_xticks(range(len(names)), [name.replace("_", "\n") for name in names], fontsize=8)
    axis.set_ylabel("examples / s")
    axis.set_title(f"{title} training ({training['threads']} threads), each run and the median")
    axis.set_ylim(bottom=0)
  figure.tight_layout()
  return figure


def _latency_chart(pyplot, details: dict):
  inference = details["inference"]
  architectures = inference["architectures"]
  figure, axes = pyplot.subplots(1, len(architectures), figsize=(5 * len(architectures), 4), squeeze=False)
  for axis, (architecture, runtimes) in zip(axes[0], architectures.items()):
    names = [name for name in runtimes if name != "litert_delegation"]
    width = 0.8 / len(inference["threads"])
    for offset, threads in enumerate(inference["threads"]):
      medians = [runtimes[name]["latency_ms"][str(threads)]["median"] for name in names]
      p90 = [runtimes[name]["latency_ms"][str(threads)]["p90"] for name in names]
      positions = [index + (offset - (len(inference["threads"]) - 1) / 2) * width for index in range(len(names))]
      axis.bar(positions, medians, width, label=_threads([threads]),
               yerr=[[0] * len(names), [high - low for high, low in zip(p90, medians)]], capsize=2)
    axis.set_yscale("log")
    axis.set_xticks(range(len(names)), [RUNTIME_NAMES.get(name, name).replace("`", "") for name in names],
                    fontsize=7, rotation=35, ha="right")
    axis.set_ylabel("ms per example (median, whisker: p90)")
    axis.set_title(f"{architecture}: batch-1 latency")
    axis.legend(fontsize=8)
  figure.tight_layout()
  return figure


def _size_chart(pyplot, details: dict):
  models = details["models"]
  modes = model_metadata.DEFAULT_MODES
  figure, axis = pyplot.subplots(figsize=(8, 3.6))
  width = 0.8 / len(models)
  for offset, (architecture, model) in enumerate(models.items()):
    sizes = [model["sizes"].get(mode, 0) / 2**20 for mode in modes]
    positions = [index + (offset - (len(models) - 1) / 2) * width for index in range(len(modes))]
    axis.bar(positions, sizes, width, label=architecture)
  axis.set_xticks(range(len(modes)), modes)
  axis.set_ylabel("MiB")
  axis.set_title(".tflite size per mode")
  axis.legend()
  figure.tight_layout()
  return figure


def _cold_start_chart(pyplot, details: dict):
  seconds = details["cold_start"]["seconds"]
  names = list(seconds)
  figure, axis = pyplot.subplots(figsize=(8, 3.2))
  medians = [statistics.median(values) for values in seconds.values()]
  axis.barh(range(len(names)), medians, xerr=[[m - min(v) for m, v in zip(medians, seconds.values())],
                                                [max(v) - m for m, v in zip(medians, seconds.values())]], capsize=3)
  axis.set_yticks(range(len(names)), [name.replace("_", " ") for name in names])
  axis.set_xlabel("seconds from process start to first prediction (median, min–max)")
  axis.invert_yaxis()
  figure.tight_layout()
  return figure


def _threads(counts) -> str:
  """`1 thread`, `2 threads`, `1 and 2 threads`."""
  counts = [int(count) for count in counts]
  return f"{' and '.join(map(str, counts))} thread{'s' if counts != [1] else ''}"


def _number(value) -> str:
  if value is None:
    return "—"
  value = float(value)
  if abs(value) >= 1000:
    return f"{value:,.0f}"
  if abs(value) >= 100:
    return f"{value:.0f}"
  return f"{value:.3g}"


def _size(size_bytes: int) -> str:
  return f"{size_bytes / 2**20:.2f} MiB" if size_bytes >= 2**20 else f"{size_bytes / 2**10:.0f} KiB"
