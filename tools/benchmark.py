r"""Measures training throughput, the inference matrix, cold starts and export time against the references.

  python tools/benchmark.py            # the full run (about 15 min on a quiet 2-core machine)
  python tools/benchmark.py --quick    # about 3 min there: fewer steps, rounds and examples

Writes benchmarks/results.json (every figure), PNG charts in benchmarks/ and the generated section of
BENCHMARKS.md (between its benchmark markers; the rest of the file stays). The PyTorch reference needs
`pip install -r requirements-benchmark.txt`; without it that figure is skipped with a note. Reuse trained models
instead of quick ones: --model_dirs=cnn=runs/fmnist_cnn,lstm=runs/rt_lstm.
"""

import sys

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_QUICK = flags.DEFINE_bool("quick", False, "Fewer steps, rounds and examples: under 5 minutes on 2 cores.")
_JSON = flags.DEFINE_string("json", None, "Results JSON (default: OUTPUT_DIR/results.json).")
_MARKDOWN = flags.DEFINE_string("markdown", "BENCHMARKS.md", "Markdown file whose generated section is rewritten "
                                "('' = none).")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "benchmarks", "Where the charts (and the JSON) go.")
_REPEATS = flags.DEFINE_integer("repeats", None, "Alternating rounds of every comparison (default: 5 quick, 10 full).",
                                lower_bound=5)
_THREADS = flags.DEFINE_list("threads", ["1", "2"], "Thread counts of the inference matrix; training uses the "
                             "largest.")
_ARCHITECTURES = flags.DEFINE_list("architectures", ["cnn", "lstm", "transformer"],
                                   "Architectures of the inference matrix.")
_MODEL_DIRS = flags.DEFINE_list("model_dirs", [], "Trained model directories to reuse: ARCHITECTURE=DIR,...")
_WORK_DIR = flags.DEFINE_string("work_dir", None, "Keep models, exports and worker logs here (default: a temporary "
                                "directory, removed at the end).")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from benchmark.benchmark_settings import BenchmarkSettings  # pylint: disable=g-import-not-at-top
  from benchmark.benchmark_suite import BenchmarkSuite  # pylint: disable=g-import-not-at-top
  from benchmark.machine import command_line  # pylint: disable=g-import-not-at-top
  try:
    threads = tuple(int(value) for value in _THREADS.value)
    model_dirs = dict(entry.split("=", 1) for entry in _MODEL_DIRS.value)
  except ValueError:
    raise app.UsageError("--threads takes integers (e.g. 1,2); --model_dirs takes ARCHITECTURE=DIR pairs.") from None
  with cli.user_errors_exit():
    settings = (BenchmarkSettings.quick_run() if _QUICK.value else BenchmarkSettings.full())
    try:
      settings = settings.with_overrides(repeats=_REPEATS.value, threads=threads,
                                         architectures=tuple(_ARCHITECTURES.value))
    except ValueError as error:
      raise app.UsageError(str(error)) from None
    command = command_line("tools/benchmark.py", sys.argv[1:])
    BenchmarkSuite(settings, output_dir=_OUTPUT_DIR.value, markdown_path=_MARKDOWN.value or None,
                   json_path=_JSON.value, work_dir=_WORK_DIR.value, model_dirs=model_dirs, command=command).run()


if __name__ == "__main__":
  app.run(main)
