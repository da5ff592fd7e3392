"""Tests of benchmark/generation_speedup.py and generation_report.py on the tiny exported language models."""

import os

import pytest

from benchmark import generation_report
from benchmark import generation_speedup
from benchmark.figure import Figure
from benchmark.goal import GENERATION_GOALS
from benchmark.sample_summary import SampleSummary
from tests.testing.language_models import PROMPTS, SEQUENCE_LENGTH, exported_language_model, trained_language_model


@pytest.mark.slow  # the benchmark itself (tools/benchmark_generation.py) runs these paths on the real models
@pytest.mark.parametrize("architecture", ["transformer_lm", "lstm_lm"])
def test_both_paths_and_every_mode_are_timed(tmp_path_factory, tmp_path, architecture):
  root = tmp_path_factory.getbasetemp()
  export_dir, report = exported_language_model(root, architecture)
  tflite = {mode: os.path.join(export_dir, "tflite", f"pride_{architecture}_{mode}.tflite")
            for mode in ("float32", "full_int8")}
  full_window = generation_speedup.full_window_file(trained_language_model(root, architecture), str(tmp_path))
  characters = 2 * SEQUENCE_LENGTH
  measured = generation_speedup.measure_speedup(full_window, tflite["float32"], PROMPTS[0], rounds=2,
                                                characters=characters)
  assert len(measured.full_window_ms) == len(measured.cached_ms) == len(measured.speedups) == 2
  assert all(f / c == pytest.approx(s) for f, c, s in zip(measured.full_window_ms, measured.cached_ms,
                                                           measured.speedups))
  # A short prompt: one prefill, then a prefill per half window once the window is full; a call per character.
  assert measured.prefills + measured.decodes == characters
  assert 2 <= measured.prefills <= 1 + characters // (SEQUENCE_LENGTH // 2)
  # The calls' time is inside the rounds' time: what is left is the Python around them.
  assert measured.loop_ms >= 0 and measured.prefill_ms > 0 and measured.decode_ms > 0
  modes = generation_speedup.measure_modes(tflite, PROMPTS[0], rounds=1, characters=characters)
  assert set(modes) == set(tflite)
  for mode, figures in modes.items():
    assert figures["size_bytes"] == os.path.getsize(tflite[mode])
    assert figures["prefill_ms"] > 0 and figures["decode_ms"] > 0 and figures["characters_per_s"] > 0
    assert figures["prefills"] + figures["decodes"] == characters
  saved_model = next(a["path"] for a in report["artifacts"] if a["format"] == "saved_model")
  serving = generation_speedup.measure_serving(trained_language_model(root, architecture), saved_model, PROMPTS[0],
                                               rounds=1, characters=8)
  assert serving["full_window_ms"] > 0 and serving["cached_ms"] > 0


def test_the_section_shows_each_figure_its_goal_and_the_cause_of_a_miss(tmp_path):
  details, figures = {}, {}
  for goal, architecture, speedups in zip(GENERATION_GOALS, ("transformer_lm", "lstm_lm"), ((12.0, 14.0), (20, 22))):
    speedup = {"full_window_ms": [4.0, 4.4], "cached_ms": [0.33, 0.31], "speedups": list(speedups),
               "prefill_ms": 2.0, "decode_ms": 0.2, "prefills": 4, "decodes": 252}
    details[architecture] = {"speedup": speedup, "full_window_size_bytes": 2_000_000,
                             "modes": {"float32": {"size_bytes": 2_100_000, "prefill_ms": 2.0, "decode_ms": 0.2,
                                                   "characters_per_s": 3000.0}},
                             "serving": {"full_window_ms": 9.0, "cached_ms": 1.5}}
    figures[goal.key] = Figure.measured(goal.key, SampleSummary.of(speedups), "how").with_cause("the cause")
  results = {"command": "python tools/benchmark_generation.py", "seconds": 60.0, "models_note": "Models.",
             "machine": {"date": "today", "cpu": "cpu", "cores": 2, "load_average": [0.1, 0.2, 0.3],
                         "load_average_end": [0.4, 0.5, 0.6]},
             **{key: figure.to_dict() for key, figure in figures.items()}, "models": details}
  generation_report.write_generation_outputs(results, str(tmp_path / "results.json"), str(tmp_path / "B.md"))
  section = (tmp_path / "B.md").read_text(encoding="utf-8")
  assert "| **13.0×** (12.0–14.0×, 2 rounds) | ≥ 10 | **pass** |" in section.replace("`", "")
  assert "**21.0×**" in section and "**MISS**" in section and "- `generation_speedup_lstm`: the cause" in section
  assert "load average at the start 0.10, 0.20, 0.30, at the end 0.40, 0.50, 0.60" in section
  assert "| transformer_lm | 9.00 | 1.50 | 6.0× |" in section
