r"""Measures text generation: the full-window next-token file against the exported prefill/decode file, every mode on
LiteRT, and the SavedModel's generate signature.

  python tools/benchmark_generation.py        # trains both novels presets for 1 epoch first (about 10 min in all)
  python tools/benchmark_generation.py \
      --model_dirs=transformer_lm=runs/novels_transformer_lm,lstm_lm=runs/novels_lstm_lm

Writes benchmarks/generation_results.json and the generation section of BENCHMARKS.md (between its
generation-benchmark markers).
"""

import pathlib
import shutil
import sys
import tempfile
import time

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_MODEL_DIRS = flags.DEFINE_string("model_dirs", "", "Trained language models to time, as transformer_lm=DIR,"
                                  "lstm_lm=DIR (default: train both novels presets for --epochs).")
_EPOCHS = flags.DEFINE_integer("epochs", 1, "Epochs of the models trained when --model_dirs is not given (timing "
                               "depends on a model's size, not on its training).", lower_bound=1)
_ROUNDS = flags.DEFINE_integer("rounds", 5, "Alternating rounds of each comparison.", lower_bound=1)
_JSON = flags.DEFINE_string("json", "benchmarks/generation_results.json", "Results JSON.")
_MARKDOWN = flags.DEFINE_string("markdown", "BENCHMARKS.md", "Markdown file whose generation section is rewritten "
                                "('' = none).")
_WORK_DIR = flags.DEFINE_string("work_dir", None, "Keep the models and exports here (default: a temporary directory, "
                                "removed at the end).")
_DATA_DIR = flags.DEFINE_string("data_dir", "", "Cache holding the novels (default ~/.cache/tfmodels).")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from benchmark import generation_benchmark  # pylint: disable=g-import-not-at-top
  from benchmark.generation_report import write_generation_outputs  # pylint: disable=g-import-not-at-top
  from benchmark.machine import command_line, describe_machine  # pylint: disable=g-import-not-at-top
  model_dirs = {}
  for entry in filter(None, _MODEL_DIRS.value.split(",")):
    architecture, _, model_dir = entry.partition("=")
    if architecture not in generation_benchmark.ARCHITECTURES or not model_dir:
      raise app.UsageError(f"--model_dirs entry '{entry}': write ARCHITECTURE=DIR with ARCHITECTURE one of "
                           f"{', '.join(generation_benchmark.ARCHITECTURES)}.")
    model_dirs[architecture] = model_dir
  with cli.user_errors_exit():
    start = time.perf_counter()
    work_dir = pathlib.Path(_WORK_DIR.value or tempfile.mkdtemp(prefix="tfmodels-generation-benchmark-"))
    machine = describe_machine()
    try:
      if model_dirs:
        note = "Models given: " + ", ".join(f"{a} ({pathlib.Path(d).name})" for a, d in model_dirs.items()) + "."
      else:
        model_dirs = generation_benchmark.trained_models(str(work_dir), _EPOCHS.value, _DATA_DIR.value, print)
        note = (f"Models: both novels presets (window 128) trained for {_EPOCHS.value} epoch(s); timing depends on "
                "their size, not on their training.")
      figures, details = generation_benchmark.measure(model_dirs, str(work_dir), _ROUNDS.value, print)
    finally:
      if not _WORK_DIR.value:
        shutil.rmtree(work_dir, ignore_errors=True)
    machine["load_average_end"] = describe_machine()["load_average"]
    results = {"command": command_line("tools/benchmark_generation.py", sys.argv[1:]), "machine": machine,
               "models_note": note, **{key: figure.to_dict() for key, figure in figures.items()},
               "models": details, "seconds": round(time.perf_counter() - start, 1)}
    write_generation_outputs(results, _JSON.value, _MARKDOWN.value or None)
    for key, figure in figures.items():
      print(f"{key}: {figure.value:.1f}x ({'pass' if figure.passed else 'MISS'})")


if __name__ == "__main__":
  app.run(main)
