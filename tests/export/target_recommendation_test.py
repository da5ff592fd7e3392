"""Tests of export/target_recommendation.py."""

from export.target_recommendation import TARGETS, recommend


def _tflite(mode, ms, passed=True, float_ops=None, decode=False):
  timing = {"milliseconds_per_decode": ms} if decode else {"milliseconds_per_example": ms}
  return {"format": "tflite", "mode": mode, "passed": passed, "ops": {"float_ops": float_ops or {}}, **timing}


def test_each_target_gets_the_file_its_rule_picks():
  artifacts = [{"format": "saved_model", "passed": True, "milliseconds_per_example": 0.01},
               _tflite("float32", 0.9), _tflite("float16", 1.2), _tflite("dynamic_int8", 0.5, passed=False),
               _tflite("full_int8", 0.7)]
  choices = recommend(artifacts)
  assert set(choices) == set(TARGETS)
  # dynamic_int8 is faster but failed; the SavedModel is no .tflite.
  assert choices["cpu"]["mode"] == "full_int8" and "0.7 ms" in choices["cpu"]["why"]
  assert "float32 0.9 ms, float16 1.2 ms" in choices["cpu"]["why"]
  assert choices["gpu"]["mode"] == "float16"
  assert choices["npu_mcu"] == {"mode": "full_int8", "why": "integer-only: every operator reads and writes integers"}


def test_a_full_int8_file_with_float_tensors_is_no_npu_file():
  choices = recommend([_tflite("float32", 1.0), _tflite("full_int8", 2.0, float_ops={"QUANTIZE": 2, "CAST": 1})])
  assert choices["npu_mcu"]["mode"] is None
  assert choices["npu_mcu"]["why"] == "full_int8 is not integer-only: QUANTIZE x2, CAST read or write float tensors"
  assert choices["gpu"]["mode"] is None and choices["cpu"]["mode"] == "float32"


def test_a_language_model_is_timed_by_its_decode_step():
  choices = recommend([_tflite("float32", 0.3, decode=True) | {"milliseconds_per_example": 0.1},
                       _tflite("dynamic_int8", 0.2, decode=True) | {"milliseconds_per_example": 0.5}])
  assert choices["cpu"]["mode"] == "dynamic_int8"


def test_nothing_passed():
  choices = recommend([_tflite("float32", 1.0, passed=False)])
  assert all(choice["mode"] is None for choice in choices.values())
  assert choices["cpu"]["why"] == "no TFLite file passed its gates"


def test_an_integer_only_int16x8_file_serves_npus_when_full_int8_cannot():
  full_int8 = _tflite("full_int8", 2.0, float_ops={"SOFTMAX": 1})
  choices = recommend([_tflite("float32", 1.0), full_int8, _tflite("int16x8", 3.0)])
  assert choices["npu_mcu"] == {"mode": "int16x8", "why": "integer-only: every operator reads and writes integers"}
  both = recommend([_tflite("full_int8", 2.0), _tflite("int16x8", 3.0)])["npu_mcu"]
  assert both["mode"] == "full_int8" and "int16x8 is too, for targets with int16 activations" in both["why"]
  neither = recommend([full_int8, _tflite("int16x8", 3.0, float_ops={"GATHER": 1})])["npu_mcu"]
  assert neither["mode"] is None and neither["why"] == ("full_int8 is not integer-only: SOFTMAX read or write float "
                                                        "tensors; int16x8 is not integer-only: GATHER read or write "
                                                        "float tensors")
