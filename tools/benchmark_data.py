r"""Measures the streaming data layer: peak memory of a CNN epoch on N vs 8N images, streaming speed, preparation.

  python tools/benchmark_data.py                 # N = 4,000 96x96 JPEGs (about 9 min on a quiet 2-core machine)
  python tools/benchmark_data.py --images=1000   # a quicker look

Writes benchmarks/data_results.json and the data section of BENCHMARKS.md (between its data-benchmark markers).
"""

import pathlib
import shutil
import sys
import tempfile
import time

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_IMAGES = flags.DEFINE_integer("images", 4000, "N: images of the smaller folder (the larger has 8N).", lower_bound=100)
_ROUNDS = flags.DEFINE_integer("rounds", 15, "Alternating rounds of the streaming comparison (on a quiet machine, pairs "
                               "of runs scatter by 0.87-1.03: more than the effect measured, hence many).",
                               lower_bound=1)
_STEPS = flags.DEFINE_integer("steps", 40, "Training steps (batch 64) per timed run (at most the training split of "
                              "N images: 43 for N = 4,000).", lower_bound=1)
_JSON = flags.DEFINE_string("json", "benchmarks/data_results.json", "Results JSON.")
_MARKDOWN = flags.DEFINE_string("markdown", "BENCHMARKS.md", "Markdown file whose data section is rewritten ('' = "
                                "none).")
_WORK_DIR = flags.DEFINE_string("work_dir", None, "Keep the image folders and runs here (default: a temporary "
                                "directory, removed at the end).")
_DATA_DIR = flags.DEFINE_string("data_dir", "", "Cache holding Fashion-MNIST (default ~/.cache/tfmodels).")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from benchmark import data_streaming  # pylint: disable=g-import-not-at-top
  from benchmark.data_report import write_data_outputs  # pylint: disable=g-import-not-at-top
  from benchmark.machine import command_line, describe_machine  # pylint: disable=g-import-not-at-top
  with cli.user_errors_exit():
    start = time.perf_counter()
    work_dir = pathlib.Path(_WORK_DIR.value or tempfile.mkdtemp(prefix="tfmodels-data-benchmark-"))
    machine = describe_machine()
    try:
      figures, details = data_streaming.measure(work_dir, _IMAGES.value, _ROUNDS.value, _STEPS.value,
                                                _DATA_DIR.value)
    finally:
      if not _WORK_DIR.value:
        shutil.rmtree(work_dir, ignore_errors=True)
    machine["load_average_end"] = describe_machine()["load_average"]
    results = {"command": command_line("tools/benchmark_data.py", sys.argv[1:]), "machine": machine,
               **{key: figure.to_dict() for key, figure in figures.items()}, "details": details,
               "seconds": round(time.perf_counter() - start, 1)}
    write_data_outputs(results, _JSON.value, _MARKDOWN.value or None)
    for key, figure in figures.items():
      print(f"{key}: {figure.value:.3f} ({'pass' if figure.passed else 'MISS' if figure.passed is False else 'ref'})")


if __name__ == "__main__":
  app.run(main)
