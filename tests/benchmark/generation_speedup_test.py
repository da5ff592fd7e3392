"""Tests of benchmark/generation_speedup.py on the tiny exported language models."""

import os

import pytest

from benchmark import generation_speedup
from tests.testing.language_models import PROMPTS, SEQUENCE_LENGTH, exported_language_model


@pytest.mark.parametrize("architecture", ["transformer_lm", "lstm_lm"])
def test_both_paths_are_timed_in_alternating_rounds(tmp_path_factory, architecture):
  export_dir, _ = exported_language_model(tmp_path_factory.getbasetemp(), architecture)
  tflite = os.path.join(export_dir, "tflite", f"pride_{architecture}_float32.tflite")
  characters = 2 * SEQUENCE_LENGTH
  measured = generation_speedup.measure(tflite, PROMPTS[0], rounds=2, characters=characters)
  assert len(measured.full_window_ms) == len(measured.cached_ms) == len(measured.speedups) == 2
  assert all(f / c == pytest.approx(s) for f, c, s in zip(measured.full_window_ms, measured.cached_ms,
                                                           measured.speedups))
  # A short prompt: one prefill, then a prefill per half window once the window is full; a call per character.
  assert measured.prefills + measured.decodes == characters
  assert 2 <= measured.prefills <= 1 + characters // (SEQUENCE_LENGTH // 2)
  assert 0 < measured.decode_ms < measured.prefill_ms
  assert generation_speedup.GOALS[architecture].key == f"generation_speedup_{architecture.split('_')[0]}"
