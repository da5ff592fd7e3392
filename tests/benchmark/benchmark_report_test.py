"""Tests of benchmark/benchmark_report.py."""

import json

import pytest

from benchmark import benchmark_report
from benchmark.benchmark_settings import BenchmarkSettings
from benchmark.benchmark_suite import BenchmarkSuite
from benchmark.goal import GOAL_KEYS
from tests.benchmark import synthetic_results

_HAND_WRITTEN = "# Benchmarks\n\n## Quality\n\nwritten by hand\n"
_AFTER = "\n## Notes after the section\n\nalso by hand\n"


@pytest.fixture(name="results")
def _results():
  settings = BenchmarkSettings.quick_run()
  details = synthetic_results.details()
  figures = BenchmarkSuite(settings, markdown_path=None, log=lambda line: None).figures(details)
  machine = {"cpu": "Test CPU", "cores": 2, "memory_gib": 24.0, "system": "Linux", "python": "3.11.2",
             "versions": {"tensorflow": "2.21.0", "torch": None}, "date": "2026-01-01 00:00 UTC",
             "load_average": [0.1, 0.2, 0.3]}
  return {"command": "python tools/benchmark.py --quick", "quick": True, "machine": machine,
          "settings": settings.to_dict(), **{key: figure.to_dict() for key, figure in figures.items()},
          "details": details, "seconds": 250.0}


def test_section_holds_every_figure_with_command_goal_and_verdict(results):
  section = benchmark_report.markdown_section(results)
  assert "`python tools/benchmark.py --quick`" in section and "Test CPU, 2 cores" in section
  for key in GOAL_KEYS:
    assert f"`{key}`" in section
  assert "| **0.988×** |" in section and "≥ 0.97 | **pass** |" in section
  assert "≤ 60 s | **MISS** |" in section and "| reference |" in section
  assert "### Missed goals and their measured causes" in section
  assert "`export_verify_s` (70 s, goal ≤ 60 s): Of the command's 70.0 s" in section
  assert "LiteRT full_int8" in section and "n/a: the model's input has a fixed batch size of 1" in section


def test_markdown_keeps_the_hand_written_parts_and_replaces_its_own(tmp_path):
  path = tmp_path / "BENCHMARKS.md"
  path.write_text(_HAND_WRITTEN)
  benchmark_report.update_markdown(str(path), "first run")
  assert path.read_text() == (f"{_HAND_WRITTEN}\n{benchmark_report.BEGIN_MARKER}\nfirst run\n"
                              f"{benchmark_report.END_MARKER}\n")
  path.write_text(path.read_text() + _AFTER)
  benchmark_report.update_markdown(str(path), "second run")
  text = path.read_text()
  assert text.startswith(_HAND_WRITTEN) and text.endswith(_AFTER)
  assert "second run" in text and "first run" not in text and text.count(benchmark_report.BEGIN_MARKER) == 1


def test_a_lone_marker_is_refused(tmp_path):
  path = tmp_path / "BENCHMARKS.md"
  path.write_text(f"{_HAND_WRITTEN}{benchmark_report.BEGIN_MARKER}\nold\n")
  with pytest.raises(ValueError, match="only one of the markers"):
    benchmark_report.update_markdown(str(path), "new")
  assert path.read_text().endswith("old\n")


def test_outputs_are_json_charts_and_markdown(results, tmp_path):
  markdown = tmp_path / "BENCHMARKS.md"
  markdown.write_text(_HAND_WRITTEN)
  output_dir = tmp_path / "benchmarks"
  files = benchmark_report.write_outputs(results, str(output_dir / "results.json"), str(output_dir), str(markdown))
  written = json.loads((output_dir / "results.json").read_text())
  for key in GOAL_KEYS:
    assert {"value", "min", "max", "goal", "passed", "cause"} <= set(written[key])
  charts = sorted(path.name for path in output_dir.glob("*.png"))
  assert charts == sorted(benchmark_report.CHARTS.values())
  assert all((output_dir / name).read_bytes().startswith(b"\x89PNG") for name in charts)
  assert not list(output_dir.glob("*.tmp")) and str(markdown) in files
  assert "![latency](benchmarks/inference_latency.png)" in markdown.read_text()
