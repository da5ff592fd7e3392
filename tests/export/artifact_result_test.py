"""Tests of `ArtifactResult`, one entry of the export report."""

from export.artifact_result import ArtifactResult
from export.export_report import artifact_label


def test_an_entry_has_every_figure_and_its_verdict():
  result = ArtifactResult.tflite("full_int8", size_bytes=10).record(accuracy=0.5).gated([])
  entry = result.to_dict(("accuracy", "top1_agreement"))
  assert entry == {"format": "tflite", "mode": "full_int8", "path": None, "passed": True, "failures": [],
                   "size_bytes": 10, "accuracy": 0.5, "top1_agreement": None}
  assert result.label == artifact_label(entry) == "tflite full_int8"


def test_a_failure_is_kept_and_the_artifact_no_longer_passes():
  result = ArtifactResult.saved_model("serving_bytes").gated([])
  assert result.fail("logits differ").fail("slow").to_dict() == {
      "format": "saved_model", "mode": "float32", "signature": "serving_bytes", "path": None, "passed": False,
      "failures": ["logits differ", "slow"]}
  assert result.label == "SavedModel serving_bytes"
  assert not ArtifactResult.tflite("float32").gated(["accuracy below the gate"]).passed
