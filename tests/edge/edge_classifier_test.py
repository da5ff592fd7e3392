"""Tests of edge/edge_classifier.py against TensorFlow's own answers on real `.tflite` files."""

import json
import logging
import shutil
import warnings
import zipfile

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from edge import EdgeClassifier, EdgeError, ModelMetadata
from tests.edge.conftest import DIGIT_LABELS, SENTIMENT_LABELS


def _tf_lite_logits(path: str, inputs: np.ndarray) -> np.ndarray:
  """Logits from TensorFlow's interpreter, one example at a time, with the file's own (de)quantization."""
  with warnings.catch_warnings():
    # Its deprecation in favour of LiteRT is the point: it is the independent reference here.
    warnings.simplefilter("ignore", UserWarning)
    interpreter = tf.lite.Interpreter(model_path=path)
  interpreter.allocate_tensors()
  source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
  outputs = []
  for example in inputs:
    value = example[None].astype(np.float32)
    scale, zero_point = source["quantization"]
    if scale:
      value = np.round(value / scale + zero_point)
    interpreter.set_tensor(source["index"], value.astype(source["dtype"]))
    interpreter.invoke()
    output = interpreter.get_tensor(target["index"])[0].astype(np.float32)
    scale, zero_point = target["quantization"]
    outputs.append((output - zero_point) * scale if scale else output)
  return np.stack(outputs)


def test_float32_image_logits_match_keras_and_tf_lite(digits_models):
  path = digits_models.tflite["float32"]
  logits = EdgeClassifier(path).predict_logits(digits_models.inputs.astype(np.float32))
  np.testing.assert_allclose(logits, digits_models.keras_logits, atol=1e-4, rtol=1e-4)
  np.testing.assert_allclose(logits, _tf_lite_logits(path, digits_models.inputs), atol=1e-5)


def test_full_int8_image_logits_are_dequantized_like_tf_lite(digits_models):
  path = digits_models.tflite["full_int8"]
  classifier = EdgeClassifier(path)
  logits = classifier.predict_logits(digits_models.inputs.astype(np.float32))
  np.testing.assert_array_equal(logits, _tf_lite_logits(path, digits_models.inputs))
  output = classifier.metadata.output
  steps = logits / output.scale + output.zero_point
  np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)
  assert -128 <= np.round(steps).min() and np.round(steps).max() <= 127
  # Quantization moves the logits by a few steps, not the decisions.
  agreement = np.mean(logits.argmax(-1) == digits_models.keras_logits.argmax(-1))
  assert agreement >= 0.95
  assert np.abs(logits - digits_models.keras_logits).mean() < 5 * output.scale, (
      np.abs(logits - digits_models.keras_logits).mean() / output.scale)


@pytest.mark.parametrize("mode", ["float32", "full_int8"])
def test_classify_images_gives_sorted_probabilities(digits_models, mode):
  classifier = EdgeClassifier(digits_models.tflite[mode], num_threads=1)
  predictions = classifier.classify_images(list(digits_models.inputs[:20]), top_k=3)
  assert len(predictions) == 20
  logits = classifier.predict_logits(digits_models.inputs[:20].astype(np.float32))
  for ranked, row in zip(predictions, logits):
    assert len(ranked) == 3
    probabilities = [p for _, p in ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    assert ranked[0][0] == DIGIT_LABELS[row.argmax()]
    assert 0 < sum(probabilities) <= 1 + 1e-9
  everything = classifier.classify_images(digits_models.inputs[0], top_k=50)[0]
  assert len(everything) == len(DIGIT_LABELS)
  assert sum(p for _, p in everything) == pytest.approx(1.0)
  expected = np.exp(logits[0] - logits[0].max()) / np.exp(logits[0] - logits[0].max()).sum()
  assert dict(everything) == pytest.approx(dict(zip(DIGIT_LABELS, expected)), abs=1e-6)
  accuracy = np.mean([ranked[0][0] == DIGIT_LABELS[label] for ranked, label in
                      zip(predictions, digits_models.labels[:20])])
  assert accuracy >= 0.8


def test_image_files_and_arrays_give_the_same_answer(digits_models, tmp_path):
  paths = []
  for index, pixels in enumerate(digits_models.inputs[:5]):
    paths.append(str(tmp_path / f"digit{index}.png"))
    Image.fromarray(pixels[..., 0]).save(paths[-1])
  classifier = EdgeClassifier(digits_models.tflite["full_int8"])
  assert classifier.classify_images(paths) == classifier.classify_images(list(digits_models.inputs[:5]))


@pytest.mark.parametrize("mode", ["float32", "full_int8"])
def test_text_logits_match_tf_lite_and_keras(sentiment_models, mode):
  path = sentiment_models.tflite[mode]
  classifier = EdgeClassifier(path)
  ids = classifier.tokenizer.encode_batch(sentiment_models.texts)
  np.testing.assert_array_equal(ids, sentiment_models.inputs)
  # 300 texts: more than one batch of a model that takes any batch size; then a smaller batch.
  texts = list(sentiment_models.texts) + list(sentiment_models.texts[:100])
  logits = classifier.predict_logits(classifier.tokenizer.encode_batch(texts))
  reference = _tf_lite_logits(path, sentiment_models.inputs)
  np.testing.assert_allclose(logits[:200], reference, atol=1e-5)
  np.testing.assert_allclose(logits[200:], reference[:100], atol=1e-5)
  np.testing.assert_allclose(classifier.predict_logits(sentiment_models.inputs[:3]), reference[:3], atol=1e-5)
  if mode == "float32":
    np.testing.assert_allclose(logits[:200], sentiment_models.keras_logits, atol=1e-4, rtol=1e-4)
  else:
    errors = np.abs(logits[:200] - sentiment_models.keras_logits)
    assert errors.mean() < 5 * classifier.metadata.output.scale, errors.mean() / classifier.metadata.output.scale
    assert np.array_equal(logits[:200].argmax(-1), sentiment_models.keras_logits.argmax(-1))


def test_fixed_batch_larger_than_one_is_padded(sentiment_models):
  classifier = EdgeClassifier(sentiment_models.tflite["batch3_float32"])
  assert classifier.metadata.input.shape == (3, 8)
  reference = EdgeClassifier(sentiment_models.tflite["float32"]).predict_logits(sentiment_models.inputs[:7])
  for count in (1, 3, 7):
    np.testing.assert_allclose(classifier.predict_logits(sentiment_models.inputs[:count]), reference[:count],
                               atol=1e-6)


def test_classify_texts(sentiment_models):
  classifier = EdgeClassifier(sentiment_models.tflite["float32"])
  predictions = classifier.classify_texts(["What a superb, moving film!", "Dull and boring."], top_k=2)
  assert [ranked[0][0] for ranked in predictions] == ["positive", "negative"]
  assert [label for label, _ in predictions[0]] == ["positive", "negative"]
  assert classifier.classify_texts("great") == classifier.classify_texts(["great"])
  assert classifier.labels == SENTIMENT_LABELS


@pytest.mark.parametrize("text", ["", "   ", "!!! ...", "\n"])
def test_empty_text_is_an_error(sentiment_models, text):
  classifier = EdgeClassifier(sentiment_models.tflite["float32"])
  with pytest.raises(EdgeError, match="Empty text.*give at least one word"):
    classifier.classify_texts(["a good film", text])


def test_text_of_unknown_words_warns_but_answers(sentiment_models, caplog):
  classifier = EdgeClassifier(sentiment_models.tflite["float32"])
  with caplog.at_level(logging.WARNING):
    predictions = classifier.classify_texts(["zyzzyva quux"])
  assert len(predictions[0]) == 2
  assert "No word of 'zyzzyva quux' is in the model's vocabulary" in caplog.text


def test_wrong_kind_of_input_is_an_error(digits_models, sentiment_models):
  with pytest.raises(EdgeError, match="classifies images"):
    EdgeClassifier(digits_models.tflite["float32"]).classify_texts(["a good film"])
  with pytest.raises(EdgeError, match="classifies texts"):
    EdgeClassifier(sentiment_models.tflite["float32"]).classify_images(["digit.png"])


def test_wrong_shapes_and_values_are_errors(digits_models, sentiment_models):
  images = EdgeClassifier(digits_models.tflite["full_int8"])
  with pytest.raises(EdgeError, match=r"uint8 image array of shape \(8, 8, 1\)"):
    images.classify_images([np.zeros((8, 8, 3), np.uint8)])
  with pytest.raises(EdgeError, match=r"shape \(batch, 8, 8, 1\)"):
    images.predict_logits(np.zeros((2, 8, 8), np.float32))
  with pytest.raises(EdgeError, match="top_k"):
    images.classify_images([digits_models.inputs[0]], top_k=0)
  texts = EdgeClassifier(sentiment_models.tflite["float32"])
  with pytest.raises(EdgeError, match=r"Token ids must be integers in \[0, "):
    texts.predict_logits(np.full((1, 8), len(sentiment_models.vocabulary), np.int32))
  with pytest.raises(EdgeError, match="Token ids must be integers"):
    texts.predict_logits(np.zeros((1, 8), np.float32))


def test_no_input_gives_no_answer(digits_models):
  classifier = EdgeClassifier(digits_models.tflite["float32"])
  assert classifier.classify_images([]) == []
  assert classifier.predict_logits(np.zeros((0, 8, 8, 1), np.float32)).shape == (0, len(DIGIT_LABELS))


def test_bad_model_files_are_errors(digits_models, tmp_path):
  source = digits_models.tflite["float32"]
  with pytest.raises(EdgeError, match="Model file .*missing.tflite not found"):
    EdgeClassifier(tmp_path / "missing.tflite")
  data = open(source, "rb").read()
  for name, content in (("truncated", data[:len(data) // 2]), ("garbage", b"not a model" * 50), ("empty", b""),
                        ("damaged", data[:100] + bytes(200) + data[300:])):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(content)
    shutil.copy(ModelMetadata.path_for(source), ModelMetadata.path_for(path))
    with pytest.raises(EdgeError, match="not a TFLite model this runtime can run"):
      EdgeClassifier(path)
  keras_file = tmp_path / "model.keras"  # a zip, as Keras writes it; no metadata beside it
  with zipfile.ZipFile(keras_file, "w") as archive:
    archive.writestr("config.json", "{}")
  with pytest.raises(EdgeError, match="is a Keras model .* Export the trained model first"):
    EdgeClassifier(keras_file)


def test_bad_metadata_is_an_error(digits_models, sentiment_models, tmp_path):
  path = tmp_path / "digits.tflite"
  shutil.copy(digits_models.tflite["float32"], path)
  with pytest.raises(EdgeError, match="has no metadata: neither digits.json beside it nor metadata inside it"):
    EdgeClassifier(path)
  metadata_path = tmp_path / "digits.json"
  metadata_path.write_text("{ not json")
  with pytest.raises(EdgeError, match="not valid JSON"):
    EdgeClassifier(path)
  values = json.loads(open(ModelMetadata.path_for(digits_models.tflite["float32"])).read())
  del values["labels"]
  metadata_path.write_text(json.dumps(values))
  with pytest.raises(EdgeError, match="missing field.*labels"):
    EdgeClassifier(path)
  # Metadata of another model, or of another mode of the same model, is caught before any prediction.
  with pytest.raises(EdgeError, match="does not describe .*input's name"):
    EdgeClassifier(path, ModelMetadata.path_for(sentiment_models.tflite["float32"]))
  with pytest.raises(EdgeError, match="does not describe .*input's dtype 'int8' != 'float32'"):
    EdgeClassifier(path, ModelMetadata.path_for(digits_models.tflite["full_int8"]))


def test_num_threads_must_be_positive(digits_models):
  with pytest.raises(EdgeError, match="num_threads"):
    EdgeClassifier(digits_models.tflite["float32"], num_threads=0)
