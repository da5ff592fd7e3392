"""Tests of benchmark/recipe_report.py and benchmark/recipe_checks.py (the held-out checks of the default recipe)."""

import csv
import json

from benchmark import recipe_checks
from benchmark.recipe_report import goals, recipe_section, write_recipe_outputs


def _figures(accuracy, seconds, baseline=None, **extra):
  return {"accuracy": accuracy, "baseline_accuracy": baseline, "best_epoch": 3, "epochs_trained": 7,
          "stopped_early": True, "seconds": seconds, "num_examples": {"train": 70, "validation": 10, "test": 20},
          **extra}


def _results():
  text = {"sequence_length": 64, "vocabulary_size": 1234}
  return {"command": "python tools/benchmark_recipe.py", "seconds": 600.0,
          "machine": {"date": "2026-12-02 12:00 UTC", "cpu": "test cpu", "cores": 2, "load_average": [0.1, 0.2, 0.3],
                      "load_average_end": [1.0, 1.0, 1.0]},
          "runs": {"mnist_5k": {"cnn": _figures(0.979, 700.0)},
                   "novel_passages": {"lstm": _figures(0.90, 100.0, 0.91, **text, pretraining={
                       "used": False, "validation_accuracy": {"pretrained": 0.88, "from_scratch": 0.895}}),
                                      "transformer": _figures(0.93, 90.0, 0.91, **text, ngram_model={
                                          "network_weight": 0.4, "ngram_weight": 1.2, "validation_accuracy": {
                                              "network": 0.9, "ngrams": 0.92, "combined": 0.935}})}}}


def test_goals_hold_each_figure_to_its_target():
  rows = {row["goal"]: row for row in goals(_results())}
  assert rows["`mnist_5k` cnn test accuracy"]["passed"] is False  # 0.979 < 0.98
  assert rows["`mnist_5k` cnn wall time"]["passed"] is False  # 700 s > 600 s
  margin = rows["`novel_passages` best text model (transformer) - TF-IDF + LR reference"]
  assert margin["value"] == "+0.0200" and margin["passed"] is True  # the better model counts
  assert rows["`novel_passages` lstm wall time"]["passed"] is True
  assert not any("fashion_5k" in goal for goal in rows)  # sets that did not run have no rows


def test_outputs_rewrite_only_their_section(tmp_path):
  markdown = tmp_path / "BENCHMARKS.md"
  markdown.write_text("# Before\n<!-- recipe-benchmark:begin -->\nold\n<!-- recipe-benchmark:end -->\n# After\n")
  write_recipe_outputs(_results(), str(tmp_path / "results.json"), str(markdown))
  text = markdown.read_text()
  assert text.startswith("# Before\n") and text.endswith("# After\n") and "old" not in text
  assert ("| novel_passages | transformer | 0.9300 | 0.9100 | — | 0.9000 / 0.9200 / 0.9350; 0.4 x network + 1.2 x "
          "n-grams | 3 / 7 | 64, 1,234 | 90 s | 70 / 10 / 20 |") in text
  assert "| novel_passages | lstm | 0.9000 | 0.9100 | not kept (0.8800 / 0.8950) | — | 3 / 7 |" in text
  assert "| `mnist_5k` cnn test accuracy | **0.9790** | ≥ 0.98 | **MISS** |" in text
  assert json.load(open(tmp_path / "results.json"))["runs"]["mnist_5k"]["cnn"]["accuracy"] == 0.979
  assert "load average at the start 0.10, 0.20, 0.30" in recipe_section(_results())


def test_novel_passages_are_written_as_a_users_csv(tmp_path):
  held_out = next(h for h in recipe_checks.HELD_OUT_SETS if h.name == "novel_passages")
  dataset = recipe_checks.write_held_out_set(held_out, tmp_path)
  assert dataset == f"csv:{tmp_path / 'novel_passages'}.csv"
  with open(tmp_path / "novel_passages.csv", newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
  assert len({row["label"] for row in rows}) == 4 and len(rows) > 7000
  assert all(len(row["text"].split()) == recipe_checks.PASSAGE_WORDS for row in rows)
  line = recipe_checks.summary_line("novel_passages", "lstm", _figures(0.9, 12.0, 0.91))
  assert line == "novel_passages lstm: accuracy 0.9000, reference 0.9100, best epoch 3 of 7, 12 s"
