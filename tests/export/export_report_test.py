"""Tests of export/export_report.py: the Markdown table and the charts, from a real export plus a crashed mode."""

import copy
import os

import numpy as np

from export.export_report import artifact_label, markdown, report_files, write_report


def _with_a_crashed_mode(report: dict) -> dict:
  report = copy.deepcopy(report)
  crashed = {"format": "tflite", "mode": "full_int8", "path": None, "passed": False,
             "failures": ["conversion crashed: the converter process was killed by SIGSEGV (exit code -11)"],
             "conversion": {"returncode": -11, "seconds": 3.0, "stderr_tail": "Fatal Python error"}}
  report["artifacts"] = [a for a in report["artifacts"] if a["mode"] != "full_int8"] + [crashed]
  report["passed"] = False
  return report


def test_markdown_has_a_row_per_artifact_and_lists_failures(digits_export):
  _, report = digits_export
  text = markdown(_with_a_crashed_mode(report))
  assert "**FAILED**" in text
  rows = [line for line in text.splitlines() if line.startswith("| SavedModel") or line.startswith("| tflite")]
  assert [row.split(" | ")[0][2:] for row in rows] == [
      "SavedModel serving_default", "SavedModel serving_bytes", "tflite float32", "tflite float16",
      "tflite dynamic_int8", "tflite full_int8"]
  assert rows[-1].endswith("| **no** |") and "| - |" in rows[-1]
  assert "- tflite full_int8: conversion crashed: the converter process was killed by SIGSEGV" in text
  assert "## TFLite ops" in text and "CONV_2D v" in text


def test_charts_and_files_are_written_even_for_a_failed_export(digits_export, tmp_path):
  _, report = digits_export
  report = _with_a_crashed_mode(report)
  errors = {artifact_label(a): np.array([1e-9, 1e-3, 0.5]) for a in report["artifacts"] if a["passed"]}
  write_report(report, str(tmp_path), errors)
  for path in report_files(str(tmp_path)):
    assert os.path.getsize(path) > 0, path
  assert sorted(os.listdir(tmp_path)) == ["accuracy_size_per_mode.png", "logit_error_histogram.png", "report.json",
                                          "report.md"]  # no temporary file is left behind
