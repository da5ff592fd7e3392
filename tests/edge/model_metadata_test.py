"""Tests of edge/model_metadata.py: the JSON format written beside every `.tflite` file."""

import json
import os

import numpy as np
import pytest

from edge import EdgeError, ImageInfo, LanguageModelInfo, ModelMetadata, TensorInfo, TextInfo


def _image_metadata(**changes) -> ModelMetadata:
  values = dict(
      model_name="digits_cnn", architecture="cnn", task="image_classification", mode="full_int8",
      labels=("zero", "one", "two"),
      input=TensorInfo("serving_default_pixels:0", "int8", (1, 8, 8, 1), scale=1.0, zero_point=-128),
      output=TensorInfo("StatefulPartitionedCall_1:0", "int8", (1, 3), scale=0.02, zero_point=28),
      image=ImageInfo(height=8, width=8, channels=1), source={"model_dir": "runs/digits"},
      verification={"top1_agreement": 0.99})
  values.update(changes)
  return ModelMetadata(**values)


def _text_metadata(**changes) -> ModelMetadata:
  values = dict(
      model_name="rt_lstm", architecture="lstm", task="text_classification", mode="float32",
      labels=("rotten", "fresh"), input=TensorInfo("serving_default_token_ids:0", "int32", (-1, 4)),
      output=TensorInfo("StatefulPartitionedCall_1:0", "float32", (-1, 2)),
      text=TextInfo(vocabulary=("", "[UNK]", "the", "film"), sequence_length=4))
  values.update(changes)
  return ModelMetadata(**values)


@pytest.mark.parametrize("make", [_image_metadata, _text_metadata])
def test_json_round_trip(make):
  metadata = make()
  text = metadata.to_json()
  assert json.loads(text)["format_version"] == 1
  assert next(iter(json.loads(text))) == "format_version"
  assert ModelMetadata.from_json(text) == metadata


def test_write_then_read_is_equal_and_leaves_no_temporary_file(tmp_path):
  path = tmp_path / "tflite" / "digits_cnn_full_int8.json"
  metadata = _image_metadata()
  metadata.write(path)
  _image_metadata(model_name="replaced").write(path)
  assert ModelMetadata.read(path).model_name == "replaced"
  assert sorted(os.listdir(path.parent)) == ["digits_cnn_full_int8.json"]
  assert os.stat(path).st_mode & 0o777 == 0o644


def test_lists_become_tuples():
  metadata = _image_metadata(labels=["zero", "one", "two"],
                             input=TensorInfo("x", "float32", [1, 8, 8, 1]),
                             image=ImageInfo(height=8, width=8, channels=1, value_range=[0, 1]))
  assert metadata.labels == ("zero", "one", "two")
  assert metadata.input.shape == (1, 8, 8, 1)
  assert metadata.image.value_range == (0.0, 1.0)


def test_path_for_replaces_the_extension():
  assert ModelMetadata.path_for("out/tflite/digits_cnn_float16.tflite") == "out/tflite/digits_cnn_float16.json"


def test_tensor_info_from_interpreter_details():
  details = {"name": "x:0", "dtype": np.int8, "shape": np.array([1, 4]), "shape_signature": np.array([-1, 4]),
             "quantization": (0.5, -3)}
  assert TensorInfo.from_details(details) == TensorInfo("x:0", "int8", (-1, 4), scale=0.5, zero_point=-3)
  details.update(dtype=np.float32, quantization=(0.0, 0))
  assert TensorInfo.from_details(details) == TensorInfo("x:0", "float32", (-1, 4))


@pytest.mark.parametrize("changes, message", [
    (dict(task="detection"), "task='detection'"),
    (dict(mode="int4"), "mode='int4'"),
    (dict(labels=()), "labels"),
    (dict(labels=("a", "a", "b")), "distinct"),
    (dict(labels=("a", "b")), "output.shape"),
    (dict(input=TensorInfo("x", "float64", (1, 8, 8, 1))), "input.dtype='float64'"),
    (dict(input=TensorInfo("x", "float32", (1, 8, 8, 3))), "input.shape"),
    (dict(input=TensorInfo("x", "int8", (1, 8, 8, 1), scale=1.0)), "input.scale"),
    (dict(input=TensorInfo("x", "int8", (1, 8, 8, 1), scale=-1.0, zero_point=0)), "input.scale"),
    (dict(input=TensorInfo("x", "int8", (1, 8, 8, 1), scale=1.0, zero_point=200)), "input.zero_point"),
    (dict(input=TensorInfo("x", "float32", (1, 8, 8, 1), scale=1.0, zero_point=0)), "only int8, uint8 and int16"),
    (dict(input=TensorInfo("x", "float32", (0, 8, 8, 1))), "input.shape"),
    (dict(image=None), "image=None"),
    (dict(image=ImageInfo(height=8, width=8, channels=2)), "image.channels"),
    (dict(image=ImageInfo(height=8, width=8, channels=1, value_range=(1.0, 0.0))), "image.value_range"),
    (dict(text=TextInfo(("", "[UNK]"), 4)), "text"),
    (dict(source={"bad": object()}), "source"),
    (dict(format_version=2), "format_version"),
])
def test_invalid_image_metadata_names_the_field(changes, message):
  with pytest.raises(EdgeError, match="Invalid metadata field") as error:
    _image_metadata(**changes)
  assert message in str(error.value)


@pytest.mark.parametrize("changes, message", [
    (dict(text=TextInfo(("[UNK]", ""), 4)), "'[UNK]' (out of vocabulary)"),
    (dict(text=TextInfo(("", "[UNK]", 3), 4)), "strings only"),
    (dict(text=TextInfo(("", "[UNK]"), 5)), "input.shape"),
    (dict(text=TextInfo(("", "[UNK]"), 4, standardize="upper")), "text.standardize"),
    (dict(text=TextInfo(("", "[UNK]"), 4, split="comma")), "text.split"),
    (dict(input=TensorInfo("x", "float32", (-1, 4))), "int32 token ids"),
    (dict(image=ImageInfo(8, 8, 1)), "image"),
])
def test_invalid_text_metadata_names_the_field(changes, message):
  with pytest.raises(EdgeError, match="Invalid metadata field") as error:
    _text_metadata(**changes)
  assert message in str(error.value)


def test_from_dict_reports_missing_and_unknown_fields():
  values = _image_metadata().to_dict()
  del values["labels"]
  with pytest.raises(EdgeError, match="missing field.*labels"):
    ModelMetadata.from_dict(values)
  values = _image_metadata().to_dict()
  del values["input"]["dtype"]
  with pytest.raises(EdgeError, match="missing field.*input.dtype"):
    ModelMetadata.from_dict(values)
  values = _image_metadata().to_dict()
  values["colour"] = "red"
  with pytest.raises(EdgeError, match="Unknown metadata field.*colour"):
    ModelMetadata.from_dict(values)
  values = _image_metadata().to_dict()
  values["output"] = [1, 2]
  with pytest.raises(EdgeError, match="Invalid output: expected a JSON object"):
    ModelMetadata.from_dict(values)


def test_newer_format_version_asks_for_an_upgrade():
  values = _image_metadata().to_dict()
  values["format_version"] = 7
  with pytest.raises(EdgeError, match="upgrade the edge runtime"):
    ModelMetadata.from_dict(values)


def test_read_errors_name_the_file(tmp_path):
  with pytest.raises(EdgeError, match="not found"):
    ModelMetadata.read(tmp_path / "missing.json")
  path = tmp_path / "broken.json"
  path.write_text(_image_metadata().to_json()[:-20])
  with pytest.raises(EdgeError, match=f"{path}: Metadata is not valid JSON"):
    ModelMetadata.read(path)
  path.write_text(json.dumps({**_image_metadata().to_dict(), "task": "speech"}))
  with pytest.raises(EdgeError, match=f"{path}: Invalid metadata field task"):
    ModelMetadata.read(path)


def test_tensor_quantize_round_trip_and_rounding():
  from edge.model_metadata import TensorInfo
  tensor = TensorInfo(name="x", dtype="int8", shape=(1, 4), scale=0.5, zero_point=-3)
  stored = tensor.quantize(np.array([0.25, -0.25, 100.0, -100.0], np.float32))
  np.testing.assert_array_equal(stored, [-2, -4, 127, -128])  # halves away from zero, then clipped
  np.testing.assert_allclose(tensor.dequantize(stored), [0.5, -0.5, 65.0, -62.5])
  plain = TensorInfo(name="y", dtype="float32", shape=(1, 4), scale=None, zero_point=None)
  assert plain.quantize(np.array([1, 2, 3, 4])).dtype == np.float32


def _language_model_metadata(**changes) -> ModelMetadata:
  values = dict(
      model_name="novels_lstm_lm", architecture="lstm_lm", task="language_model", mode="full_int8", labels=(),
      input=TensorInfo("serving_default_token_ids:0", "int32", (1, 8)),
      output=TensorInfo("StatefulPartitionedCall:0", "int8", (1, 5), scale=0.06, zero_point=-10),
      language_model=LanguageModelInfo(vocabulary=("", "\ufffd", " ", "e", "\n"), sequence_length=8))
  values.update(changes)
  return ModelMetadata(**values)


def test_language_model_round_trip_keeps_the_vocabulary():
  metadata = _language_model_metadata()
  values = json.loads(metadata.to_json())
  assert values["language_model"] == {"vocabulary": ["", "\ufffd", " ", "e", "\n"], "sequence_length": 8}
  assert ModelMetadata.from_json(metadata.to_json()) == metadata


@pytest.mark.parametrize("changes, message", [
    (dict(labels=("a",)), "labels"),
    (dict(language_model=None), "language_model=None"),
    (dict(language_model=LanguageModelInfo(("", "[UNK]", "e"), 8)), "language_model.vocabulary"),
    (dict(language_model=LanguageModelInfo(("", "\ufffd", "ee"), 8)), "single character"),
    (dict(language_model=LanguageModelInfo(("", "\ufffd", " ", "e", "\n"), 0)), "language_model.sequence_length"),
    (dict(input=TensorInfo("x", "int32", (1, 9))), "input.shape"),
    (dict(input=TensorInfo("x", "int8", (1, 8), scale=1.0, zero_point=0)), "input.dtype"),
    (dict(output=TensorInfo("x", "float32", (1, 6))), "output.shape"),
    (dict(text=TextInfo(("", "[UNK]"), 8)), "text"),
])
def test_invalid_language_model_metadata_names_the_field(changes, message):
  with pytest.raises(EdgeError, match="Invalid metadata field") as error:
    _language_model_metadata(**changes)
  assert message in str(error.value)


def test_a_classifier_has_no_language_model_field():
  with pytest.raises(EdgeError, match="language_model"):
    _text_metadata(language_model=LanguageModelInfo(("", "\ufffd"), 4))
