"""Tests of tools/generate.py, run as a user runs it: with Keras (--model_dir), and on the edge runtime (--tflite) in a
Python where TensorFlow cannot be imported."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.edge.conftest import build_sentiment_models
from tests.export.conftest import trained_model_dir
from edge.text_generator import TextGenerator
from tests.testing.language_models import PROMPTS, SEQUENCE_LENGTH, exported_language_model, trained_language_model
from tests.testing.without_tensorflow import run_without_tensorflow
from tfmodels.generation import KerasNextToken
from tfmodels.training.model_artifact import ModelArtifact

_REPO = pathlib.Path(__file__).resolve().parents[2]


def _run_with_keras(*arguments: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, "tools/generate.py", *arguments], cwd=_REPO, capture_output=True, text=True,
                        timeout=300, check=False)


@pytest.fixture(scope="module")
def language_model(tmp_path_factory):
  """(trained transformer_lm folder, its float32 .tflite file)."""
  root = tmp_path_factory.getbasetemp()
  export_dir, _ = exported_language_model(root, "transformer_lm")
  return (trained_language_model(root, "transformer_lm"),
          os.path.join(export_dir, "tflite", "pride_transformer_lm_float32.tflite"))


@pytest.mark.slow
def test_keras_and_the_edge_runtime_print_the_same_greedy_text(language_model):
  model_dir, tflite = language_model
  expected = KerasNextToken.generator(ModelArtifact.load(model_dir)).generate(PROMPTS[2], 60)
  keras = _run_with_keras(f"--model_dir={model_dir}", f"--prompt={PROMPTS[2]}", "--max_tokens=60", "--json")
  assert keras.returncode == 0, keras.stderr[-2000:]
  edge = run_without_tensorflow("tools/generate.py", f"--tflite={tflite}", f"--prompt={PROMPTS[2]}",
                                "--max_tokens=60", "--json")
  assert edge.returncode == 0, edge.stderr
  for result in (keras, edge):
    answer = json.loads(result.stdout)
    assert answer == {"prompt": PROMPTS[2], "text": expected.text, "token_ids": list(expected.token_ids)}
  plain = run_without_tensorflow("tools/generate.py", f"--tflite={tflite}", f"--prompt={PROMPTS[2]}",
                                 "--max_tokens=60")
  assert plain.stdout == PROMPTS[2] + expected.text + "\n"


def test_sampling_on_the_edge_repeats_with_its_seed(language_model):
  _, tflite = language_model
  arguments = ("tools/generate.py", f"--tflite={tflite}", "--prompt=It is", "--max_tokens=40", "--temperature=0.9",
               "--top_k=20", "--top_p=0.95", "--num_threads=1")
  first = run_without_tensorflow(*arguments, "--seed=3")
  assert first.returncode == 0, first.stderr
  assert run_without_tensorflow(*arguments, "--seed=3").stdout == first.stdout
  assert run_without_tensorflow(*arguments, "--seed=4").stdout != first.stdout


@pytest.mark.parametrize("arguments, message", [
    (("--prompt=It is", "--max_tokens=0"), "error: max_tokens=0: ask for at least 1 token."),
    (("--prompt=It is", "--max_tokens=-5"), "error: max_tokens=-5"),
    (("--prompt=\u4e2d\u6587\u5b57",), "error: No character of the prompt '\u4e2d\u6587\u5b57' is in the model's "
                                       "vocabulary"),
    (("--prompt=",), "error: The prompt is empty"),
    (("--prompt=It is", "--top_p=0"), "error: top_p=0.0"),
])
def test_bad_input_on_the_edge_prints_an_error_and_exits_1(language_model, arguments, message):
  _, tflite = language_model
  result = run_without_tensorflow("tools/generate.py", f"--tflite={tflite}", *arguments)
  assert result.returncode == 1 and message in result.stderr, result.stderr
  assert "Traceback" not in result.stderr and not result.stdout


def test_unknown_characters_are_read_as_unknown_with_a_warning(language_model):
  _, tflite = language_model
  result = run_without_tensorflow("tools/generate.py", f"--tflite={tflite}", "--prompt=It is \u4e2d", "--max_tokens=5")
  assert result.returncode == 0, result.stderr
  assert "warning: 1 prompt character(s) are not in the vocabulary" in result.stderr


def test_a_classifier_is_refused_on_the_edge(tmp_path_factory):
  classifier = build_sentiment_models(tmp_path_factory.getbasetemp() / "edge_models").tflite["float32"]
  result = run_without_tensorflow("tools/generate.py", f"--tflite={classifier}", "--prompt=It is")
  assert result.returncode == 1 and "not a language model" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("case", ["classifier", "no_tokens"])
def test_bad_input_with_keras_prints_an_error_and_exits_1(language_model, tmp_path_factory, case):
  if case == "classifier":
    model_dir, message = trained_model_dir(tmp_path_factory.getbasetemp(), "cnn"), "holds a cnn classifier"
    result = _run_with_keras(f"--model_dir={model_dir}", "--prompt=It is")
  else:
    message = "error: max_tokens=0: ask for at least 1 token."
    result = _run_with_keras(f"--model_dir={language_model[0]}", "--prompt=It is", "--max_tokens=0")
  assert result.returncode == 1 and message in result.stderr, result.stderr[-2000:]
  assert "Traceback" not in result.stderr


@pytest.mark.parametrize("arguments", [(), ("--model_dir=a", "--tflite=b")])
def test_exactly_one_model_is_required(arguments):
  result = run_without_tensorflow("tools/generate.py", "--prompt=It is", *arguments)
  assert result.returncode == 1 and "Give either --model_dir (Keras) or --tflite (edge runtime)" in result.stderr


def test_reprefill_length_of_a_window_is_full_window_decoding_on_the_edge(language_model):
  model_dir, tflite = language_model
  expected = TextGenerator(KerasNextToken(ModelArtifact.load(model_dir).load_model()),
                           ModelArtifact.load(model_dir).char_vocabulary(), SEQUENCE_LENGTH).generate(PROMPTS[2], 40)
  edge = run_without_tensorflow("tools/generate.py", f"--tflite={tflite}", f"--prompt={PROMPTS[2]}",
                                "--max_tokens=40", f"--reprefill_length={SEQUENCE_LENGTH}", "--json")
  assert edge.returncode == 0, edge.stderr
  assert json.loads(edge.stdout)["token_ids"] == list(expected.token_ids)
  refused = run_without_tensorflow("tools/generate.py", f"--tflite={tflite}", "--prompt=It", "--max_tokens=4",
                                   f"--reprefill_length={SEQUENCE_LENGTH + 1}")
  assert refused.returncode == 1 and "reprefill_length" in refused.stderr
