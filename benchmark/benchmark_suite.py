"""The whole benchmark: training throughput, the inference matrix, cold starts and export time, side by side with
the references, measured in one run and written out as JSON, charts and a section of BENCHMARKS.md.

Every timed command runs in a process of its own with its threads pinned before its framework starts
(`WorkerProcess`); compared commands run in alternation, after warm-ups, and the published figure is the median of
the ratios of back-to-back runs, with their range.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

from benchmark import benchmark_report
from benchmark import cold_start
from benchmark import miss_causes
from benchmark.alternation import run_alternating
from benchmark.benchmark_error import BenchmarkError
from benchmark.benchmark_settings import (CNN_BATCH, CNN_DATASET, CNN_PARAMS, TEXT_BATCH, TEXT_DATASET,
                                          BenchmarkSettings)
from benchmark.figure import Figure
from benchmark.goal import GOAL_KEYS
from benchmark.machine import describe_machine
from benchmark.sample_summary import SampleSummary
from benchmark.worker_process import REPO_ROOT, WorkerProcess, subprocess_environment
from edge import model_metadata

PROJECT_TRAINING = "benchmark.project_training:ProjectTraining"
KERAS_FIT_TRAINING = "benchmark.keras_fit_training:KerasFitTraining"
TORCH_TRAINING = "benchmark.torch_training:TorchTraining"
INFERENCE_RUNTIMES = "benchmark.inference_runtimes:InferenceRuntimes"
TASK_GROUP = "benchmark.task_group:TaskGroup"
TORCH_REQUIREMENT = "torch==2.13.0"
MODES = model_metadata.DEFAULT_MODES  # what the benchmark exports (int16x8 is asked for by name)
_DATASETS = {"cnn": CNN_DATASET, "lstm": TEXT_DATASET, "transformer": TEXT_DATASET}
_THROUGHPUT_BATCH = 32
# Paths in the models' details, shown relative to the work directory (WORK/...) or the repository in the results.
_PATH_KEYS = ("model_dir", "saved_model")


class BenchmarkSuite:
  """Runs every benchmark once and writes the results.

  Args:
    settings: how much to measure (`BenchmarkSettings.full()` or `.quick_run()`).
    output_dir: where the charts go (and the JSON, unless `json_path` says otherwise).
    markdown_path: the Markdown file whose generated section is rewritten (None: no Markdown).
    json_path: the results JSON (default `output_dir/results.json`).
    work_dir: where models, exports and worker logs go (default: a temporary directory, removed at the end).
    model_dirs: trained model directories to reuse, by architecture, instead of training quick ones.
    command: the command line, as the Markdown section shows it.
    log: where progress lines go.
  """

  def __init__(self, settings: BenchmarkSettings, *, output_dir: str = "benchmarks",
               markdown_path: str | None = "BENCHMARKS.md", json_path: str | None = None,
               work_dir: str | None = None, model_dirs: dict[str, str] | None = None,
               command: str = "python tools/benchmark.py", log: Callable[[str], None] = print):
    self.settings = settings
    self.output_dir = output_dir
    self.markdown_path = markdown_path
    self.json_path = json_path or os.path.join(output_dir, "results.json")
    self.work_dir = work_dir
    self.model_dirs = dict(model_dirs or {})
    unknown = sorted(set(self.model_dirs) - set(settings.architectures))
    if unknown:
      raise BenchmarkError(f"--model_dirs names {', '.join(unknown)}, which --architectures leaves out.")
    self.command = command
    self.log = log
    self._start = 0.0

  def run(self) -> dict:
    """Measures everything, writes JSON, charts and Markdown; returns the results."""
    self._start = time.perf_counter()
    work_dir = self.work_dir or tempfile.mkdtemp(prefix="tfmodels-benchmark-")
    os.makedirs(work_dir, exist_ok=True)
    model_training = {}
    try:
      machine = describe_machine()
      self._say(f"Benchmark ({'quick' if self.settings.quick else 'full'}) on {machine['cpu']}, "
                f"{machine['cores']} cores; work directory {work_dir}")
      model_dirs, model_training = self.start_model_training(work_dir)
      details = {"training": self.training(work_dir, background=model_training)}
      details["models"] = self.models(work_dir, model_dirs, trained_here=set(model_training))
      details["inference"], samples = self.inference(work_dir, details["models"])
      details["cold_start"] = self.cold_start(details["models"], samples, work_dir)
      figures = self.figures(details)
      machine["load_average_end"] = describe_machine()["load_average"]
      details["models"] = {name: {key: _relative(value, work_dir) if key in _PATH_KEYS else value
                                  for key, value in model.items()} for name, model in details["models"].items()}
      for model in details["models"].values():
        model["tflite"] = {mode: _relative(path, work_dir) for mode, path in model["tflite"].items()}
      results = {"command": self.command, "quick": self.settings.quick, "machine": machine,
                 "settings": self.settings.to_dict(),
                 **{key: figure.to_dict() for key, figure in figures.items()},
                 "details": details, "seconds": round(time.perf_counter() - self._start, 1)}
      results["files"] = benchmark_report.write_outputs(results, self.json_path, self.output_dir,
                                                        self.markdown_path)
      self._say(f"Done in {results['seconds'] / 60:.1f} min: {self.json_path}"
                f"{', ' + self.markdown_path if self.markdown_path else ''}")
      return results
    finally:
      for process, _, _ in model_training.values():  # after a failure, trainings may still run
        if process.poll() is None:
          process.kill()
          process.wait()
      if not self.work_dir:
        shutil.rmtree(work_dir, ignore_errors=True)

  # Training throughput -----------------------------------------------------------------------------------------

  def training(self, work_dir: str, background: dict | None = None) -> dict:
    """The CNN trained by the project's loop, by a plain Keras `fit` and by PyTorch, and the Transformer through
    the real input pipeline and from cached tensors: examples per second of every run, per command.

    Every worker sets up at once (while `background` tools, e.g. the models of the inference matrix, train); the
    timed rounds start only when all of that is over. The project's loop and its variants share a process (a
    `TaskGroup`); Keras `fit` and PyTorch each have their own.
    """
    settings = self.settings
    threads = settings.training_threads
    logs = os.path.join(work_dir, "logs")
    cnn = {"model": "cnn", "dataset": CNN_DATASET, "batch_size": CNN_BATCH, "steps": settings.cnn_steps,
           "params": CNN_PARAMS}
    arrays = os.path.join(work_dir, "cnn_training_examples.npz")
    text = {"model": "transformer", "dataset": TEXT_DATASET, "batch_size": TEXT_BATCH, "steps": settings.text_steps}
    workers = {
        "keras_fit": WorkerProcess(KERAS_FIT_TRAINING, "tensorflow", threads, {**cnn, "save_arrays": arrays},
                                   os.path.join(logs, "keras_fit.log")),
        "cnn_project": WorkerProcess(TASK_GROUP, "tensorflow", threads, {"tasks": {
            "project": {"task": PROJECT_TRAINING, "args": cnn},
            "project_cached_batches": {"task": PROJECT_TRAINING, "args": {**cnn, "inputs": "cached"}}}},
                                     os.path.join(logs, "cnn_project.log")),
        "text_project": WorkerProcess(TASK_GROUP, "tensorflow", threads, {"tasks": {
            name: {"task": PROJECT_TRAINING, "args": {**text, "inputs": inputs}}
            for name, inputs in (("real_pipeline", "pipeline"), ("later_epochs", "prepared"),
                                 ("cached_tensors", "cached"))}},
                                      os.path.join(logs, "text_project.log")),
    }
    torch_available = importlib.util.find_spec("torch") is not None
    self._say(f"Training throughput: setting up {len(workers) + torch_available} workers ({threads} threads each)")
    try:
      for worker in workers.values():
        worker.start()
      if torch_available:  # it reads the examples the Keras worker writes, and takes the model's settings from it
        reference = workers["keras_fit"].wait_ready()
        workers["torch"] = WorkerProcess(
            TORCH_TRAINING, "torch", threads,
            {"arrays": arrays, "num_classes": reference["num_classes"], "cnn": reference["cnn"],
             "learning_rate": reference["learning_rate"], "batch_size": CNN_BATCH, "steps": settings.cnn_steps},
            os.path.join(logs, "torch.log")).start()
      for worker in workers.values():
        worker.wait_ready()
      if background:
        self._wait_tools(background)  # nothing else may run while the rounds are timed
      self._say(f"Training: CNN on {CNN_DATASET}, batch {CNN_BATCH}, {settings.cnn_steps} steps a run; project loop "
                f"vs Keras fit{' vs PyTorch' if torch_available else ''}")
      group = workers["cnn_project"]
      cnn_runs = self._rounds({
          "keras_fit": workers["keras_fit"].call,
          "project": lambda command: group.call(command, task="project"),
          "project_cached_batches": lambda command: group.call(command, task="project_cached_batches"),
          **({"torch": workers["torch"].call} if torch_available else {})})
      self._say(f"Training: Transformer on {TEXT_DATASET}, batch {TEXT_BATCH}, {settings.text_steps} steps a run; "
                "real pipeline (first epoch, later epochs) vs cached tensors")
      group = workers["text_project"]
      first_batch = [group.call("command", task="real_pipeline", method="first_batch_seconds") for _ in range(3)]
      text_runs = self._rounds({name: (lambda command, name=name: group.call(command, task=name))
                                for name in group.info})
      infos = {name: worker.info for name, worker in workers.items()}
    finally:
      for worker in workers.values():
        worker.close()
    return {
        "threads": threads,
        "cnn": {"dataset": CNN_DATASET, "batch_size": CNN_BATCH, "steps_per_run": settings.cnn_steps,
                "params": CNN_PARAMS, "runs": cnn_runs,
                "workers": {"keras_fit": infos["keras_fit"], **infos["cnn_project"],
                            **({"torch": infos["torch"]} if torch_available else {})},
                "torch": None if torch_available else f"not installed (pip install {TORCH_REQUIREMENT})"},
        "text": {"dataset": TEXT_DATASET, "model": "transformer", "batch_size": TEXT_BATCH,
                 "steps_per_run": settings.text_steps, "runs": text_runs, "workers": infos["text_project"],
                 "first_batch_seconds": float(np.median(first_batch))},
    }

  def _rounds(self, callers: dict[str, Callable]) -> dict[str, list[float]]:
    """Runs every command once per round, in alternation (in dict order); returns the examples per second of every
    run. `callers` maps a name to the function that sends a worker command (`"run"`)."""
    runs = run_alternating({name: (lambda caller=caller: caller("run")["examples_per_second"])
                            for name, caller in callers.items()}, self.settings.repeats)
    for name, values in runs.items():
      self._say(f"  {name}: {np.median(values):,.0f} examples/s (median of {len(values)})")
    return {name: [round(value, 1) for value in values] for name, values in runs.items()}

  def start_model_training(self, work_dir: str) -> tuple[dict[str, str], dict]:
    """Starts training, in the background and side by side, the models of the inference matrix that
    `model_dirs` does not give; returns every architecture's model directory and the running trainings."""
    settings = self.settings
    model_dirs = {name: self.model_dirs.get(name) or os.path.join(work_dir, "models", name)
                  for name in settings.architectures}
    training = {}
    for name in settings.architectures:
      if name not in self.model_dirs:
        epochs = settings.train_epochs.get(name)
        training[name] = ["train.py", f"--model={name}", f"--dataset={_DATASETS[name]}",
                          f"--model_dir={model_dirs[name]}", *([f"--epochs={epochs}"] if epochs else []),
                          *([f"--params={CNN_PARAMS}"] if name == "cnn" else []),
                          *([f"--params={settings.text_model_params}"] if name != "cnn" and settings.text_model_params
                            else [])]
    if training:
      epochs = ", ".join(f"{name} {settings.train_epochs.get(name) or 'preset'}" for name in training)
      self._say(f"Training {', '.join(training)} for the inference matrix in the background (epochs: {epochs})")
    return model_dirs, self._start_tools(training, work_dir)

  def models(self, work_dir: str, model_dirs: dict[str, str], trained_here: set[str]) -> dict:
    """Exports every architecture's model in every mode (their training has finished by now).

    The export of the first architecture (the CNN unless `--architectures` leaves it out) runs alone, as it is
    timed (`export_verify_s`); the others export side by side.
    """
    settings = self.settings
    timed, *others = settings.architectures
    export_seconds = {name: [] for name in settings.architectures}
    reports = {}
    for repeat in range(settings.export_repeats):
      self._say(f"Exporting the {timed} (SavedModel and four .tflite modes, verified), timed, run {repeat + 1} of "
                f"{settings.export_repeats}")
      export_dir = os.path.join(work_dir, "exports", timed if not repeat else f"{timed}_{repeat}")
      start = time.perf_counter()
      self._run_tools({timed: self._export_arguments(timed, model_dirs[timed], export_dir)}, work_dir,
                      allowed_status=(0, 1))
      export_seconds[timed].append(time.perf_counter() - start)
      reports.setdefault(timed, _read_json(os.path.join(export_dir, "report.json")))
    if others:
      self._say(f"Exporting {', '.join(others)} side by side")
      self._run_tools({name: self._export_arguments(name, model_dirs[name], os.path.join(work_dir, "exports", name))
                       for name in others}, work_dir, allowed_status=(0, 1))
      for name in others:
        reports[name] = _read_json(os.path.join(work_dir, "exports", name, "report.json"))
    for name, report in reports.items():
      if not report["passed"]:
        self._say(f"  the {name}'s export missed a verification gate: {'; '.join(report['failures'])}")
    return {name: _model_entry(name, model_dirs[name], name in trained_here, reports[name], export_seconds[name])
            for name in settings.architectures}

  def _export_arguments(self, architecture: str, model_dir: str, export_dir: str) -> list[str]:
    options = []
    if architecture != "cnn":
      if self.settings.text_export_examples:
        options.append(f"--max_examples={self.settings.text_export_examples}")
      options.append(f"--calibration_samples={self.settings.text_calibration_samples}")
    return ["export.py", f"--model_dir={model_dir}", f"--export_dir={export_dir}", *options]

  def _run_tools(self, commands: dict[str, list[str]], work_dir: str, allowed_status=(0,)) -> None:
    """Runs `tools/<script>` commands side by side and waits for them."""
    self._wait_tools(self._start_tools(commands, work_dir), allowed_status)

  @staticmethod
  def _start_tools(commands: dict[str, list[str]], work_dir: str) -> dict:
    """Starts `tools/<script>` commands side by side, each logging to `work_dir/logs`."""
    logs = os.path.join(work_dir, "logs")
    os.makedirs(logs, exist_ok=True)
    running = {}
    for name, arguments in commands.items():
      log_path = os.path.join(logs, f"{arguments[0].removesuffix('.py')}_{name}.log")
      with open(log_path, "w", encoding="utf-8") as log:
        command = [sys.executable, os.path.join(REPO_ROOT, "tools", arguments[0]), *arguments[1:]]
        running[name] = (subprocess.Popen(command, cwd=REPO_ROOT, env=subprocess_environment(), stdout=log,
                                          stderr=subprocess.STDOUT), log_path, command)
    return running

  @staticmethod
  def _wait_tools(running: dict, allowed_status=(0,)) -> None:
    """Waits for started tools; raises `BenchmarkError` (with their logs) when one failed."""
    failures = []
    for process, log_path, command in running.values():
      status = process.wait()
      if status not in allowed_status or not _wrote_its_output(command):
        with open(log_path, encoding="utf-8", errors="replace") as log:
          failures.append(f"{' '.join(command)} failed (status {status}); log {log_path}:\n{log.read()[-3000:]}")
    if failures:
      raise BenchmarkError("\n".join(failures))

  # Inference -----------------------------------------------------------------------------------------------------

  def inference(self, work_dir: str, models: dict) -> tuple[dict, dict]:
    """Batch-1 latency (per thread count), batch-32 throughput, accuracy and size of every runtime of every
    architecture, plus the LiteRT delegation evidence; returns them and one sample input per architecture."""
    settings = self.settings
    architectures = {name: {"model_dir": model["model_dir"], "saved_model": model["saved_model"],
                            "tflite": model["tflite"]} for name, model in models.items()}
    workers = {threads: WorkerProcess(INFERENCE_RUNTIMES, "tensorflow", threads,
                                      {"architectures": architectures, "threads": threads,
                                       "examples": settings.eval_examples},
                                      os.path.join(work_dir, "logs", f"inference_{threads}_threads.log"))
               for threads in settings.threads}
    first = workers[settings.threads[0]]
    self._say(f"Inference: {', '.join(architectures)} at {' and '.join(map(str, settings.threads))} thread(s), "
              f"{settings.repeats} alternating rounds")
    try:
      for worker in workers.values():
        worker.start()
      for worker in workers.values():
        worker.wait_ready()
      runtimes = first.info["runtimes"]
      commands = {}
      for threads, worker in workers.items():
        for architecture in architectures:
          for runtime in runtimes[architecture]:
            calls = settings.keras_predict_calls if runtime == "keras_predict" else settings.latency_calls
            commands[f"{threads}|{architecture}|{runtime}|latency"] = (
                lambda worker=worker, a=architecture, r=runtime, c=calls: worker.call("latency", architecture=a,
                                                                                       runtime=r, count=c))
            commands[f"{threads}|{architecture}|{runtime}|throughput"] = (
                lambda worker=worker, a=architecture, r=runtime: worker.call(
                    "throughput", architecture=a, runtime=r, batch_size=_THROUGHPUT_BATCH,
                    batches=settings.throughput_batches))
      measured = run_alternating(commands, settings.repeats)
      results = {}
      for architecture in architectures:
        entry = results[architecture] = {}
        for runtime in runtimes[architecture]:
          entry[runtime] = {
              "size_bytes": _runtime_size(models[architecture], runtime),
              "accuracy": first.call("accuracy", architecture=architecture, runtime=runtime),
              "latency_ms": {}, "throughput_examples_per_second": {}}
          for threads in workers:
            rounds = measured[f"{threads}|{architecture}|{runtime}|latency"]
            entry[runtime]["latency_ms"][str(threads)] = _latency_summary(rounds)
            entry[runtime]["throughput_examples_per_second"][str(threads)] = _throughput_summary(
                measured[f"{threads}|{architecture}|{runtime}|throughput"])
        results[architecture]["litert_delegation"] = first.call(
            "delegation", architecture=architecture, count=settings.delegation_calls, rounds=settings.repeats)
        self._say(f"  {architecture}, {settings.threads[0]} thread(s): " + ", ".join(
            f"{runtime} {entry[runtime]['latency_ms'][str(settings.threads[0])]['median']:.3g} ms"
            for runtime in runtimes[architecture]))
      samples = {architecture: first.call("sample", architecture=architecture,
                                          path=os.path.join(work_dir, f"{architecture}_sample.png"))
                 for architecture in architectures}
    finally:
      for worker in workers.values():
        worker.close()
    return {"threads": list(settings.threads), "batch_size": 1, "throughput_batch_size": _THROUGHPUT_BATCH,
            "examples": settings.eval_examples, "latency_rounds": _measured_rounds(measured, settings.threads[0],
                                                                                 architectures, runtimes),
            "throughput_rounds": _throughput_rounds(measured, settings.threads[0], architectures, runtimes),
            "architectures": results}, samples

  # Cold start ----------------------------------------------------------------------------------------------------

  def cold_start(self, models: dict, samples: dict, work_dir: str) -> dict:
    """Seconds from process start to first prediction: the edge runtime (`tools/predict.py`) against TensorFlow
    (`tf.saved_model.load`), alternating, with Python's own start and the edge runtime's imports as evidence."""
    settings = self.settings
    commands = {}
    for architecture in settings.cold_start_architectures:
      model = models[architecture]
      mode = "full_int8" if "full_int8" in model["tflite"] else next(iter(model["tflite"]))
      commands[f"{architecture}_edge"] = cold_start.edge_command(model["tflite"][mode], samples[architecture])
      commands[f"{architecture}_tensorflow"] = cold_start.tensorflow_command(model["saved_model"],
                                                                            samples[architecture])
    commands["python_start"] = cold_start.python_command(cold_start.PYTHON_START)
    commands["edge_imports"] = cold_start.python_command(cold_start.EDGE_IMPORTS)
    self._say(f"Cold start: {', '.join(commands)}; {settings.cold_start_rounds} alternating rounds")
    first_edge = commands[f"{settings.cold_start_architectures[0]}_edge"]
    edge_imports_tensorflow = cold_start.imports_tensorflow(first_edge)
    seconds = run_alternating({name: (lambda command=command: cold_start.time_to_first_line(command))
                               for name, command in commands.items()}, settings.cold_start_rounds,
                              warmup_rounds=settings.cold_start_warmups)
    for name, values in seconds.items():
      self._say(f"  {name}: {np.median(values):.3f} s")
    return {"rounds": settings.cold_start_rounds, "edge_mode": "full_int8",
            "edge_imports_tensorflow": edge_imports_tensorflow,
            "commands": {name: " ".join(_relative(part, work_dir) for part in command)
                         for name, command in commands.items()},
            "seconds": {name: [round(value, 4) for value in values] for name, values in seconds.items()}}

  # Figures -------------------------------------------------------------------------------------------------------

  def figures(self, details: dict) -> dict[str, Figure]:
    """Every published figure, with the cause of each missed goal written from the measured evidence."""
    settings = self.settings
    training, inference, cold, models = (details["training"], details["inference"], details["cold_start"],
                                         details["models"])
    figures: dict[str, Figure] = {}
    cnn_runs = training["cnn"]["runs"]
    repeats = f"{settings.repeats} alternating rounds, {training['threads']} threads each"
    figures["train_vs_plain_keras"] = Figure.measured(
        "train_vs_plain_keras", SampleSummary.of_ratios(cnn_runs["project"], cnn_runs["keras_fit"]),
        f"examples/s of the project's training loop over those of `model.fit` on numpy arrays; same CNN, "
        f"{settings.cnn_steps} steps of batch {CNN_BATCH} of {CNN_DATASET}, {repeats}; median of the paired ratios")
    text_runs = training["text"]["runs"]
    figures["pipeline_efficiency"] = Figure.measured(
        "pipeline_efficiency", SampleSummary.of_ratios(text_runs["real_pipeline"], text_runs["cached_tensors"]),
        f"examples/s of the Transformer trained through the real pipeline, built afresh for each run (tokenize, "
        f"cache, shuffle, batch, prefetch) over the same batches held as tensors; {settings.text_steps} steps of "
        f"batch {TEXT_BATCH} of {TEXT_DATASET}, {repeats}")
    torch_method = (f"examples/s of the project's CNN training over the PyTorch CNN (same layers) on the same "
                    f"examples; {repeats}")
    if "torch" in cnn_runs:
      figures["train_vs_torch_seed"] = Figure.measured(
          "train_vs_torch_seed", SampleSummary.of_ratios(cnn_runs["project"], cnn_runs["torch"]), torch_method)
    else:
      figures["train_vs_torch_seed"] = Figure.skip(
          "train_vs_torch_seed", f"PyTorch is not installed; `pip install -r requirements-benchmark.txt` "
          f"({TORCH_REQUIREMENT}, CPU) adds this figure", torch_method)
    latency_threads = str(settings.threads[0])
    per_round = (f"{latency_threads} thread{'s' if latency_threads != '1' else ''}, per round; {settings.repeats} "
                 f"rounds of {settings.latency_calls} calls")
    for architecture in ("cnn", "lstm", "transformer"):
      rounds = inference["latency_rounds"].get(architecture, {})
      key = f"{architecture}_best_cpu_mode_over_float32_latency"
      best = _fastest_passing_mode(models.get(architecture), rounds)
      if best is None or "litert_float32" not in rounds:
        figures[key] = Figure.skip(key, f"the {architecture} was not measured (--architectures), or none of its "
                                        "files passed its gates")
      else:
        figures[key] = Figure.measured(
            key, SampleSummary.of_ratios(rounds[f"litert_{best}"], rounds["litert_float32"]),
            f"median batch-1 latency of the fastest LiteRT mode whose file passed its gates ({best} in this run: the "
            f"file the export report recommends for a CPU) over float32's, {per_round}",
            evidence={"mode": best, "median_ms": {runtime[len("litert_"):]: round(1000 * float(np.median(values)), 5)
                                                  for runtime, values in rounds.items()
                                                  if runtime.startswith("litert_")}})
      key = f"{architecture}_int8_over_float32_latency"
      if "litert_full_int8" not in rounds or "litert_float32" not in rounds:
        figures[key] = Figure.skip(key, f"the {architecture} was not measured (--architectures, or a mode failed "
                                        "to export)")
        continue
      figures[key] = Figure.measured(key, SampleSummary.of_ratios(rounds["litert_full_int8"],
                                                                  rounds["litert_float32"]),
                                     f"median batch-1 latency of LiteRT full_int8 over float32, {per_round}")
    figures.update(self._deploy_figures(details, figures))
    for key, modes in (("int8_over_float32_size", ("dynamic_int8", "full_int8")),
                       ("float16_over_float32_size", ("float16",))):
      ratios = {f"{architecture}/{mode}": model["sizes"][mode] / model["sizes"]["float32"]
                for architecture, model in models.items() for mode in modes
                if mode in model["sizes"] and "float32" in model["sizes"]}
      if not ratios:
        figures[key] = Figure.skip(key, "no model exported in these modes")
        continue
      values = list(ratios.values())
      figures[key] = Figure(key=key, value=max(values), minimum=min(values), maximum=max(values),
                            samples=len(values), method="file size over the float32 file's; the largest over "
                                                        f"{', '.join(ratios)}",
                            evidence={"ratios": {name: round(value, 4) for name, value in ratios.items()}})
    float_ops = {architecture: model["ops"]["full_int8"].get("float_ops", {}) for architecture, model in models.items()
                 if "full_int8" in model["ops"]}
    if float_ops:
      share = sum(not ops for ops in float_ops.values()) / len(float_ops)
      figures["full_int8_integer_only"] = Figure(
          key="full_int8_integer_only", value=share, minimum=share, maximum=share, samples=len(float_ops),
          method=f"the operators of each exported full_int8 file ({', '.join(float_ops)}), read from the flatbuffer: "
                 "integer-only when none reads or writes a float32/float16 tensor",
          evidence={"float_ops": float_ops})
    else:
      figures["full_int8_integer_only"] = Figure.skip("full_int8_integer_only", "no model exported in full_int8")
    first = settings.cold_start_architectures[0]
    for key, command in (("edge_cold_start_s", f"{first}_edge"), ("tf_cold_start_s", f"{first}_tensorflow")):
      figures[key] = Figure.measured(key, SampleSummary.of(cold["seconds"][command]),
                                     f"wall seconds from starting `{cold['commands'][command]}` to its first "
                                     f"printed prediction; {cold['rounds']} alternating rounds"
                                     f"{' after a warm-up round' if settings.cold_start_warmups else ''}")
    exported = next(iter(models))
    figures["export_verify_s"] = Figure.measured(
        "export_verify_s", SampleSummary.of(models[exported]["export_seconds"]),
        f"wall seconds of `python tools/export.py` on the {exported} (SavedModel and four .tflite modes, each "
        f"verified on the whole test split); {len(models[exported]['export_seconds'])} run(s)")
    figures = {key: figure.with_cause(miss_causes.cause(key, figure, details)) for key, figure in figures.items()}
    missing = set(GOAL_KEYS) - set(figures)
    if missing:
      raise AssertionError(f"Figures not computed: {sorted(missing)}")
    return {key: figures[key] for key in GOAL_KEYS}

  def _deploy_figures(self, details: dict, figures: dict[str, Figure]) -> dict[str, Figure]:
    """The transformer's XNNPACK partitions in float32, the CNN's batch-32 over batch-1 throughput in its fastest
    passing mode, and the tensor arena its full_int8 file needs on TensorFlow Lite Micro."""
    inference, models = details["inference"], details["models"]
    results = {}
    key = "transformer_xnnpack_partitions_float32"
    delegation = inference["architectures"].get("transformer", {}).get("litert_delegation", {}).get("float32")
    if delegation is None:
      results[key] = Figure.skip(key, "the transformer was not measured (--architectures)")
    else:
      results[key] = Figure.measured(key, SampleSummary.of([delegation["partitions"]]),
                                     "XNNPACK partitions LiteRT makes of the float32 .tflite, read from its nodes after "
                                     "delegation (`edge.OpDelegation`)",
                                     evidence={"undelegated": delegation["undelegated"]})
    key = "litert_batch32_over_batch1_throughput"
    best = figures.get("cnn_best_cpu_mode_over_float32_latency")
    mode = best.evidence.get("mode") if best is not None and best.skipped is None else None
    batched = inference.get("throughput_rounds", {}).get("cnn", {}).get(f"litert_{mode}")
    if batched is None:
      results[key] = Figure.skip(key, "the CNN was not measured (--architectures), or its fastest file takes batch 1 "
                                      "only")
    else:
      single = inference["latency_rounds"]["cnn"][f"litert_{mode}"]  # seconds per batch-1 call, per round
      results[key] = Figure.measured(
          key, SampleSummary.of_ratios(batched, [1.0 / seconds for seconds in single]),
          f"examples/s of LiteRT {mode} (the CNN's fastest passing mode) at batch {_THROUGHPUT_BATCH} over those at "
          f"batch 1 (1 / the batch-1 latency), {inference['threads'][0]} thread, per round; {self.settings.repeats} "
          "rounds", evidence={"mode": mode})
    key = "tflm_arena_kib"
    micro = models.get("cnn", {}).get("micro", {}).get("full_int8")
    if not micro or micro.get("arena_bytes") is None:
      results[key] = Figure.skip(key, "the CNN's full_int8 file was not run on TensorFlow Lite Micro"
                                      + (f" ({micro.get('error')})" if micro and micro.get("error") else ""))
    else:
      results[key] = Figure.measured(
          key, SampleSummary.of([micro["arena_bytes"] / 1024]),
          "the tensor arena TensorFlow Lite Micro's interpreter allocated for the CNN's full_int8 file at export "
          "(`export.tflite.micro_check`), in KiB", evidence={"micro": micro})
    return results

  def _say(self, message: str) -> None:
    self.log(f"[{time.perf_counter() - self._start:6.0f} s] {message}")


def _measured_rounds(measured: dict, threads: int, architectures, runtimes) -> dict:
  """Per architecture and runtime, the median batch-1 latency (seconds) of each round at `threads` threads."""
  return {architecture: {runtime: [float(np.median(values)) for values in
                                   measured[f"{threads}|{architecture}|{runtime}|latency"]]
                         for runtime in runtimes[architecture]} for architecture in architectures}


def _throughput_rounds(measured: dict, threads: int, architectures, runtimes) -> dict:
  """Per architecture and LiteRT runtime, the batch-32 examples per second of each round at `threads` threads (the
  runtimes whose file takes a batch of 32)."""
  return {architecture: {runtime: [value["examples_per_second"] for value in
                                   measured[f"{threads}|{architecture}|{runtime}|throughput"]]
                         for runtime in runtimes[architecture] if runtime.startswith("litert_")
                         and measured[f"{threads}|{architecture}|{runtime}|throughput"][0]["supported"]}
          for architecture in architectures}


def _latency_summary(rounds: list[list[float]]) -> dict:
  pooled = SampleSummary.of([value for values in rounds for value in values]).scaled(1000)
  per_round = SampleSummary.of([np.median(values) for values in rounds]).scaled(1000)
  return {"median": round(pooled.median, 5), "p90": round(pooled.p90, 5), "round_min": round(per_round.minimum, 5),
          "round_max": round(per_round.maximum, 5), "calls": pooled.count}


def _throughput_summary(rounds: list[dict]) -> dict:
  if not rounds[0]["supported"]:
    return {"supported": False, "reason": rounds[0]["reason"]}
  summary = SampleSummary.of([value["examples_per_second"] for value in rounds])
  return {"supported": True, "median": round(summary.median, 1), "min": round(summary.minimum, 1),
          "max": round(summary.maximum, 1)}


def _fastest_passing_mode(model: dict | None, rounds: dict[str, list[float]]) -> str | None:
  """The LiteRT mode with the lowest median batch-1 latency among those whose file passed its gates."""
  if model is None:
    return None
  candidates = [mode for mode in model.get("passed_modes", ()) if f"litert_{mode}" in rounds]
  return min(candidates, key=lambda mode: np.median(rounds[f"litert_{mode}"]), default=None)


def _model_entry(architecture: str, model_dir: str, trained_here: bool, report: dict,
                 export_seconds: list[float]) -> dict:
  saved_model = next((a for a in report["artifacts"] if a["format"] == "saved_model" and a.get("path")), None)
  tflite = {a["mode"]: a for a in report["artifacts"] if a["format"] == "tflite" and a.get("path")}
  if saved_model is None or "float32" not in tflite:
    raise BenchmarkError(f"The export of the {architecture} wrote no SavedModel or no float32 .tflite: "
                         f"{report.get('failures')}")
  sizes = {mode: artifact["size_bytes"] for mode, artifact in tflite.items()}
  delegated_ops = {mode: artifact.get("ops", {}) for mode, artifact in tflite.items()}
  return {
      "model_dir": os.path.abspath(model_dir), "trained_here": trained_here, "dataset": report["dataset"]["name"],
      "parameters": report["model"]["parameters"], "lstm_graph": report["model"].get("lstm_graph"),
      "saved_model": saved_model["path"], "saved_model_bytes": saved_model["size_bytes"],
      "keras_bytes": os.path.getsize(os.path.join(model_dir, "model.keras")),
      "tflite": {mode: artifact["path"] for mode, artifact in tflite.items()}, "sizes": sizes,
      "passed_modes": [mode for mode, artifact in tflite.items() if artifact.get("passed")],
      "micro": {mode: artifact["micro"] for mode, artifact in tflite.items() if artifact.get("micro")},
      "ops": delegated_ops, "export_passed": report["passed"], "export_failures": report["failures"],
      "export_seconds": [round(value, 2) for value in export_seconds],
      "exporter_seconds": report["seconds"], "verified_examples": report["dataset"]["num_examples"],
      "test_accuracy": report.get("reference_accuracy"),
  }


def _runtime_size(model: dict, runtime: str) -> int:
  if runtime.startswith("litert_"):
    return model["sizes"][runtime[len("litert_"):]]
  return model["saved_model_bytes"] if runtime == "saved_model" else model["keras_bytes"]


def _wrote_its_output(command: list[str]) -> bool:
  """Whether a tool run got as far as its output: an export that missed a gate (status 1) still wrote its report,
  one that broke off did not."""
  export_dir = next((value.split("=", 1)[1] for value in command if value.startswith("--export_dir=")), None)
  return export_dir is None or os.path.exists(os.path.join(export_dir, "report.json"))


def _read_json(path: str) -> dict:
  try:
    with open(path, encoding="utf-8") as f:
      return json.load(f)
  except (OSError, ValueError) as error:
    raise BenchmarkError(f"Cannot read {path} ({error}).") from None


def _relative(part: str, work_dir: str) -> str:
  """A command-line word as the report shows it: `python`, paths inside the repository relative to it, paths in
  the work directory under `WORK/`, texts quoted and cut short."""
  if part == sys.executable:
    return "python"
  part = part.replace(os.path.abspath(work_dir) + os.sep, "WORK/").replace(REPO_ROOT + os.sep, "")
  if part.startswith("--text="):
    text = part.split("=", 1)[1]
    return f'--text="{text if len(text) <= 40 else text[:40].rstrip() + "…"}"'
  return part

