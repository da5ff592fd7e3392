"""The generation benchmark: for each language model, export it, then time generation on LiteRT and TF Serving's
signature (`generation_speedup`), and turn the timings into the published figures."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable

from benchmark import generation_speedup
from benchmark.figure import Figure
from edge.model_metadata import DEFAULT_MODES as MODES

ARCHITECTURES = ("transformer_lm", "lstm_lm")
PROMPT = "It is a truth universally acknowledged, that a single man in possession of a good fortune"
FIGURE_KEYS = {"transformer_lm": "generation_speedup_transformer", "lstm_lm": "generation_speedup_lstm"}
_EXPORT_EXAMPLES = 200


def trained_models(work_dir: str, epochs: int, data_dir: str, log: Callable[[str], None]) -> dict[str, str]:
  """Trains each architecture's novels preset for `epochs` into `work_dir`; returns {architecture: model_dir}.

  Timing does not depend on how well a model is trained, only on its size, which is the preset's."""
  from tfmodels.training.experiment import config_from_flags, train  # pylint: disable=g-import-not-at-top

  model_dirs = {}
  for architecture in ARCHITECTURES:
    model_dir = os.path.join(work_dir, f"novels_{architecture}")
    if not os.path.exists(os.path.join(model_dir, "model.keras")):
      log(f"training {architecture} on the novels for {epochs} epoch(s)")
      train(config_from_flags(model=architecture, dataset="novels", epochs=epochs, data_dir=data_dir), model_dir)
    model_dirs[architecture] = model_dir
  return model_dirs


def measure(model_dirs: dict[str, str], work_dir: str, rounds: int,
            log: Callable[[str], None]) -> tuple[dict[str, Figure], dict]:
  """Exports and times every model; returns the figures and the details behind them."""
  from export.exporter import Exporter  # pylint: disable=g-import-not-at-top

  figures, details = {}, {}
  for architecture, model_dir in model_dirs.items():
    export_dir = os.path.join(work_dir, f"export_{architecture}")
    log(f"exporting {architecture}")
    report = Exporter(model_dir, export_dir, max_examples=_EXPORT_EXAMPLES, log=lambda line: None).run()
    tflite = {entry["mode"]: entry["path"] for entry in report["artifacts"]
              if entry["format"] == "tflite" and entry.get("path")}
    missing = [mode for mode in MODES if mode not in tflite]
    if missing:
      raise RuntimeError(f"The export of {architecture} wrote no file for {', '.join(missing)}: see "
                         f"{os.path.join(export_dir, 'report.md')}.")
    full_window = generation_speedup.full_window_file(model_dir, export_dir)
    log(f"timing {architecture}: full window against prefill/decode, {rounds} rounds")
    speedup = generation_speedup.measure_speedup(full_window, tflite["float32"], PROMPT, rounds=rounds)
    log(f"timing {architecture}: every mode")
    modes = generation_speedup.measure_modes(tflite, PROMPT, rounds=rounds)
    log(f"timing {architecture}: the SavedModel's generate signature")
    serving = generation_speedup.measure_serving(model_dir, _saved_model_dir(report), PROMPT)
    failed = [entry["mode"] for entry in report["artifacts"] if entry["format"] == "tflite" and not entry["passed"]]
    details[architecture] = {"model_dir": os.path.basename(model_dir), "speedup": speedup.to_dict(), "modes": modes,
                             "serving": serving, "full_window_size_bytes": os.path.getsize(full_window),
                             "export_failures": {entry["mode"]: entry["failures"] for entry in report["artifacts"]
                                                 if entry["format"] == "tflite" and entry["mode"] in failed}}
    key = FIGURE_KEYS[architecture]
    figure = Figure.measured(key, speedup.speedup, method=(
        f"{generation_speedup.GENERATED_CHARACTERS} greedy characters after a {len(PROMPT)}-character prompt on "
        "LiteRT (1 thread): the full-window next-token file (a whole window per character) over the exported "
        "float32 file's prefill and decode signatures (half a window prefilled again when the window is full), "
        f"ms per character, median of {rounds} alternating rounds"), evidence={
            "prefill_ms": speedup.prefill_ms, "decode_ms": speedup.decode_ms, "prefills": speedup.prefills,
            "decodes": speedup.decodes})
    figures[key] = figure.with_cause(_miss_cause(speedup, tflite["float32"]))
  return figures, details


def _miss_cause(speedup: generation_speedup.GenerationSpeedup, path: str) -> str:
  """Where the cached path's time goes, from the measured calls and the decode signature's operators."""
  from edge.model_metadata import ModelMetadata  # pylint: disable=g-import-not-at-top
  from export.tflite.tflite_ops import TfliteOps  # pylint: disable=g-import-not-at-top

  window = ModelMetadata.read(ModelMetadata.path_for(path)).language_model.sequence_length
  operators = TfliteOps.read(path, signature="decode").count
  cached = statistics.mean(speedup.cached_ms)
  full_window = statistics.median(speedup.full_window_ms)
  characters = speedup.prefills + speedup.decodes
  weights = os.path.getsize(path) / 2**20
  return (f"a decode step takes {speedup.decode_ms:.3f} ms, {speedup.decode_ms / (full_window / window):.0f}x the "
          f"1/{window} share of a full-window step ({full_window / window:.3f} ms): for one position it reads every "
          f"weight once (the float32 file, {weights:.2f} MiB) and runs {operators} operators, which a full-window "
          f"step spreads over {window} positions. Per character the cached path adds "
          f"{speedup.prefills * speedup.prefill_ms / characters:.3f} ms of prefills ({speedup.prefills} of "
          f"{speedup.prefill_ms:.2f} ms on average) and {speedup.loop_ms:.3f} ms of Python around the calls (the loop, "
          f"sampling, writing the cache): {cached:.3f} ms in all (means over the rounds)")


def _saved_model_dir(report: dict) -> str:
  """The published SavedModel version of an export report."""
  entry = next(entry for entry in report["artifacts"] if entry["format"] == "saved_model")
  return entry["path"]
