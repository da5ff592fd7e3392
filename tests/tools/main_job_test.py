"""The README's main command end to end on digits: train -> evaluate -> export -> verify -> report."""

import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_main_job_on_digits(tmp_path):
  run_dir = tmp_path / "digits_cnn"
  env = dict(os.environ, EPOCHS="8", RUN_DIR=str(run_dir))
  result = subprocess.run(["bash", os.path.join(ROOT, "scripts", "main_job.sh")], capture_output=True, text=True,
                          timeout=900, env=env)
  assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
  evaluation = json.load(open(run_dir / "model" / "evaluation.json"))
  assert evaluation["accuracy"] > 0.95 and evaluation["num_examples"] == 359
  for name in ("training_curves.png", "confusion_matrix_test.png", "model.keras"):
    assert (run_dir / "model" / name).exists(), name
  report = json.load(open(run_dir / "export" / "report.json"))
  assert report["passed"] is True
  modes = {artifact["mode"] for artifact in report["artifacts"] if artifact["format"] == "tflite"}
  assert modes == {"float32", "float16", "dynamic_int8", "full_int8"}
  assert all(artifact["passed"] for artifact in report["artifacts"])
  for mode in modes:
    assert (run_dir / "export" / "tflite" / f"digits_cnn_{mode}.tflite").exists()
  assert (run_dir / "export" / "report.md").exists()
