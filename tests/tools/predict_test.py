"""Tests of tools/predict.py, run as a user runs it, in a Python where TensorFlow and Keras cannot be imported."""

import json

import numpy as np
from PIL import Image
import pytest

from edge import EdgeClassifier
from tests.edge.conftest import build_digits_models, build_sentiment_models
from tests.testing.without_tensorflow import run_without_tensorflow


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
  return build_digits_models(tmp_path_factory.getbasetemp() / "edge_models")


@pytest.fixture(scope="module")
def sentiment(tmp_path_factory):
  return build_sentiment_models(tmp_path_factory.getbasetemp() / "edge_models")


@pytest.fixture(scope="module")
def digit_files(digits, tmp_path_factory):
  folder = tmp_path_factory.mktemp("digit_files")
  paths = []
  for index, pixels in enumerate(digits.inputs[:3]):
    paths.append(str(folder / f"digit{index}.png"))
    Image.fromarray(pixels[..., 0]).save(paths[-1])
  return paths


def test_the_blocker_blocks_tensorflow(tmp_path):
  script = tmp_path / "uses_tensorflow.py"
  script.write_text("import tensorflow\n")
  result = run_without_tensorflow(str(script))
  assert result.returncode != 0 and "cannot be imported on the edge" in result.stderr


def test_images_print_their_labels_without_tensorflow(digits, digit_files):
  result = run_without_tensorflow("tools/predict.py", f"--model={digits.tflite['full_int8']}", "--top_k=2",
                                  *digit_files)
  assert result.returncode == 0, result.stderr
  lines = result.stdout.strip().splitlines()
  expected = EdgeClassifier(digits.tflite["full_int8"]).classify_images(digit_files, top_k=2)
  assert len(lines) == len(digit_files)
  for line, path, ranked in zip(lines, digit_files, expected):
    assert line == f"{path}: " + ", ".join(f"{label} {probability:.3f}" for label, probability in ranked)


def test_a_file_alone_predicts_with_the_metadata_inside_it(digits, digit_files, tmp_path):
  from edge import ModelMetadata  # pylint: disable=import-outside-toplevel
  from export.tflite import tflite_metadata  # pylint: disable=import-outside-toplevel
  path = digits.tflite["full_int8"]
  alone = tmp_path / "digits_full_int8.tflite"  # no .json beside it
  with open(path, "rb") as f:
    alone.write_bytes(tflite_metadata.embed(f.read(), ModelMetadata.read(ModelMetadata.path_for(path))))
  result = run_without_tensorflow("tools/predict.py", f"--model={alone}", "--top_k=2", *digit_files)
  assert result.returncode == 0, result.stderr
  expected = EdgeClassifier(path).classify_images(digit_files, top_k=2)
  assert result.stdout.strip().splitlines() == [
      f"{path}: " + ", ".join(f"{label} {probability:.3f}" for label, probability in ranked)
      for path, ranked in zip(digit_files, expected)]


def test_a_file_without_metadata_is_refused_with_the_ways_out(digits, tmp_path):
  alone = tmp_path / "digits_float32.tflite"
  with open(digits.tflite["float32"], "rb") as f:
    alone.write_bytes(f.read())
  result = run_without_tensorflow("tools/predict.py", f"--model={alone}", "--text=x")
  assert result.returncode == 1 and "Traceback" not in result.stderr
  assert "has no metadata: neither digits_float32.json beside it nor metadata inside it" in result.stderr


def test_texts_as_json_without_tensorflow(sentiment):
  result = run_without_tensorflow("tools/predict.py", f"--model={sentiment.tflite['float32']}", "--json",
                                  "--num_threads=1", "--text=A superb and moving film", "--text=dull, boring plot")
  assert result.returncode == 0, result.stderr
  answers = json.loads(result.stdout)
  assert [answer["input"] for answer in answers] == ["A superb and moving film", "dull, boring plot"]
  assert [answer["predictions"][0]["label"] for answer in answers] == ["positive", "negative"]
  probabilities = [p["probability"] for p in answers[0]["predictions"]]
  assert probabilities == sorted(probabilities, reverse=True) and np.isclose(sum(probabilities), 1.0)


@pytest.mark.parametrize("arguments, message", [
    (("--model=missing.tflite", "digit.png"), "error: Model file missing.tflite not found"),
    (("--model={sentiment}", "--text=..."), "error: Empty text"),
    (("--model={sentiment}", "digit.png"), "error: This model classifies texts"),
])
def test_user_errors_print_a_message_and_exit_1(sentiment, arguments, message):
  arguments = [a.format(sentiment=sentiment.tflite["float32"]) for a in arguments]
  result = run_without_tensorflow("tools/predict.py", *arguments)
  assert result.returncode == 1
  assert message in result.stderr
  assert "Traceback" not in result.stderr


@pytest.mark.parametrize("inputs", [(), ("digit.png", "--text=a film")])
def test_images_or_texts_are_required(sentiment, inputs):
  result = run_without_tensorflow("tools/predict.py", f"--model={sentiment.tflite['float32']}", *inputs)
  assert result.returncode == 1
  assert "Give image paths as arguments or texts with --text" in result.stderr


def test_a_keras_model_file_is_named_with_the_export_to_run(tmp_path, digit_files):
  import zipfile  # pylint: disable=g-import-not-at-top
  keras_file = tmp_path / "model.keras"  # what tools/train.py writes: a zip
  with zipfile.ZipFile(keras_file, "w") as archive:
    archive.writestr("config.json", "{}")
  result = run_without_tensorflow("tools/predict.py", f"--model={keras_file}", digit_files[0])
  assert result.returncode == 1 and "Traceback" not in result.stderr
  assert "is a Keras model" in result.stderr and "Export the trained model first" in result.stderr
  assert "model.json" not in result.stderr
