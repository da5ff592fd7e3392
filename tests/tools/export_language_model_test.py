"""tools/export.py on a language model, run as a user runs it."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.testing.language_models import trained_language_model

_REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_language_model_exports_and_its_perplexity_gate_is_a_flag(tmp_path_factory, tmp_path):
  model_dir = trained_language_model(tmp_path_factory.getbasetemp(), "transformer_lm")
  result = subprocess.run([sys.executable, "tools/export.py", f"--model_dir={model_dir}", f"--export_dir={tmp_path}",
                           "--modes=dynamic_int8", "--max_examples=60", "--int8_max_perplexity_ratio=0.5",
                           "--int8_max_size_ratio=1"], cwd=_REPO, capture_output=True, text=True, timeout=600,
                          check=False)
  assert result.returncode == 1, result.stderr[-2000:]
  assert "tflite dynamic_int8: perplexity_ratio" in result.stderr and "> 0.5 (gate for dynamic_int8)" in result.stderr
  with open(tmp_path / "report.json", encoding="utf-8") as f:
    report = json.load(f)
  assert report["model"]["kind"] == "corpus" and report["dataset"]["num_examples"] == 60
  assert [a["passed"] for a in report["artifacts"]] == [True, True, False]
  # The SavedModel passed its own gates, so it is published; the .tflite files are written either way.
  assert os.listdir(tmp_path / "serving" / "pride_transformer_lm") == ["1"]
  assert sorted(os.listdir(tmp_path / "tflite")) == ["pride_transformer_lm_dynamic_int8.json",
                                                      "pride_transformer_lm_dynamic_int8.tflite"]
