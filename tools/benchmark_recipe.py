r"""Checks the default recipe on held-out real data written out as a user's own, with default training flags.

  python tools/benchmark_recipe.py                             # every set and model (about 40 min on 2 cores)
  python tools/benchmark_recipe.py --sets=mnist_5k --markdown=  # one set, BENCHMARKS.md left as it is

Writes benchmarks/recipe_results.json and the recipe section of BENCHMARKS.md (between its recipe-benchmark markers).
"""

import pathlib
import shutil
import sys
import tempfile
import time

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

from benchmark.recipe_checks import HELD_OUT_SETS  # pylint: disable=g-import-not-at-top

_SETS = flags.DEFINE_list("sets", [held_out.name for held_out in HELD_OUT_SETS], "Held-out sets to check.")
_JSON = flags.DEFINE_string("json", "benchmarks/recipe_results.json", "Results JSON.")
_MARKDOWN = flags.DEFINE_string("markdown", "BENCHMARKS.md", "Markdown file whose recipe section is rewritten "
                                "('' = none).")
_WORK_DIR = flags.DEFINE_string("work_dir", None, "Keep the written sets and runs here (default: a temporary "
                                "directory, removed at the end).")
_DATA_DIR = flags.DEFINE_string("data_dir", "", "Cache of fetched package data (default ~/.cache/tfmodels).")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from benchmark import recipe_checks  # pylint: disable=g-import-not-at-top
  from benchmark.machine import command_line, describe_machine  # pylint: disable=g-import-not-at-top
  from benchmark.recipe_report import goals, write_recipe_outputs  # pylint: disable=g-import-not-at-top
  known = {held_out.name: held_out for held_out in HELD_OUT_SETS}
  unknown = [name for name in _SETS.value if name not in known]
  if unknown:
    raise app.UsageError(f"Unknown --sets: {', '.join(unknown)}; known: {', '.join(known)}.")
  with cli.user_errors_exit():
    start = time.perf_counter()
    work_dir = pathlib.Path(_WORK_DIR.value or tempfile.mkdtemp(prefix="tfmodels-recipe-benchmark-"))
    machine = describe_machine()
    runs: dict = {}
    try:
      for name in _SETS.value:
        held_out = known[name]
        for model in held_out.models:
          figures = recipe_checks.run_check(held_out, model, work_dir, _DATA_DIR.value)
          runs.setdefault(name, {})[model] = figures
          print(recipe_checks.summary_line(name, model, figures), flush=True)
    finally:
      if not _WORK_DIR.value:
        shutil.rmtree(work_dir, ignore_errors=True)
    machine["load_average_end"] = describe_machine()["load_average"]
    results = {"command": command_line("tools/benchmark_recipe.py", sys.argv[1:]), "machine": machine,
               "runs": runs, "seconds": round(time.perf_counter() - start, 1)}
    results["goals"] = goals(results)
    write_recipe_outputs(results, _JSON.value, _MARKDOWN.value or None)
    for row in results["goals"]:
      print(f"{row['goal']}: {row['value']} ({'pass' if row['passed'] else 'MISS'}, target {row['target']})")


if __name__ == "__main__":
  app.run(main)
