"""Tests of edge/edge_language_model.py: exported tiny language models generate on LiteRT as Keras does."""

import os

import numpy as np
import pytest

from edge import EdgeClassifier, EdgeError, EdgeLanguageModel
from edge.char_vocabulary import PADDING, UNKNOWN
from tests.testing.language_models import (ARCHITECTURES, PROMPTS, SEQUENCE_LENGTH, exported_language_model,
                                           trained_language_model)
from tfmodels.generation import KerasNextToken
from tfmodels.training.model_artifact import ModelArtifact

_MODES = ("float32", "float16", "dynamic_int8", "full_int8")


def _tflite(export_dir: str, architecture: str, mode: str) -> str:
  return os.path.join(export_dir, "tflite", f"pride_{architecture}_{mode}.tflite")


@pytest.fixture(scope="module", params=ARCHITECTURES)
def exported(request, tmp_path_factory):
  """(architecture, trained model folder, export folder)."""
  root = tmp_path_factory.getbasetemp()
  export_dir, _ = exported_language_model(root, request.param)
  return request.param, trained_language_model(root, request.param), export_dir


@pytest.mark.slow
def test_float32_greedy_tokens_equal_keras(exported):
  architecture, model_dir, export_dir = exported
  edge = EdgeLanguageModel(_tflite(export_dir, architecture, "float32"), num_threads=1).generator()
  keras_generator = KerasNextToken.generator(ModelArtifact.load(model_dir))
  for prompt in PROMPTS:
    expected = keras_generator.generate(prompt, 50)
    generation = edge.generate(prompt, 50)
    assert generation.token_ids == expected.token_ids and generation.text == expected.text, prompt


def test_next_token_logits_match_keras_and_do_not_depend_on_the_previous_window(exported):
  architecture, model_dir, export_dir = exported
  model = EdgeLanguageModel(_tflite(export_dir, architecture, "float32"))
  keras_next_token = KerasNextToken(ModelArtifact.load(model_dir).load_model())
  windows = []
  for prompt in PROMPTS:
    ids = model.vocabulary.encode(prompt)[-SEQUENCE_LENGTH:]
    windows.append((np.pad(ids, (0, SEQUENCE_LENGTH - len(ids))), len(ids)))
  first = [model.next_token_logits(window, length) for window, length in windows]
  # Again in reverse order: a fused LSTM's state must not carry over from one window to the next.
  again = [model.next_token_logits(window, length) for window, length in reversed(windows)][::-1]
  for (window, length), logits, repeated in zip(windows, first, again):
    assert logits.dtype == np.float32 and logits.shape == (model.vocabulary.size,)
    np.testing.assert_array_equal(logits, repeated)
    np.testing.assert_allclose(logits, keras_next_token(window, length), atol=1e-4)


@pytest.mark.parametrize("mode", _MODES[1:])
def test_quantized_modes_generate_text_of_the_vocabulary(exported, mode):
  architecture, _, export_dir = exported
  model = EdgeLanguageModel(_tflite(export_dir, architecture, mode))
  generation = model.generator().generate(PROMPTS[0], 30, temperature=0.8, seed=1)
  assert len(generation.token_ids) == 30 and not {PADDING, UNKNOWN} & set(generation.token_ids)
  assert generation.text == model.vocabulary.decode(generation.token_ids)


def test_sampling_with_a_seed_is_reproducible(exported):
  architecture, _, export_dir = exported
  generator = EdgeLanguageModel(_tflite(export_dir, architecture, "float32")).generator()
  settings = {"temperature": 1.0, "top_k": 20, "top_p": 0.95}
  first = generator.generate(PROMPTS[1], 60, seed=11, **settings)
  assert generator.generate(PROMPTS[1], 60, seed=11, **settings) == first
  assert generator.generate(PROMPTS[1], 60, seed=12, **settings).text != first.text


def test_bad_windows_are_refused(exported):
  architecture, _, export_dir = exported
  model = EdgeLanguageModel(_tflite(export_dir, architecture, "float32"))
  window = np.zeros(SEQUENCE_LENGTH, np.int32)
  window[:3] = model.vocabulary.encode("abc")
  with pytest.raises(EdgeError, match=f"A window is {SEQUENCE_LENGTH} integer token ids"):
    model.next_token_logits(window[:-1], 3)
  with pytest.raises(EdgeError, match="real token ids first"):
    model.next_token_logits(window, 2)  # a real token after the length
  with pytest.raises(EdgeError, match="real token ids first"):
    model.next_token_logits(window, 0)
  window[1] = model.vocabulary.size
  with pytest.raises(EdgeError, match=r"Token ids must be in \[0, "):
    model.next_token_logits(window, 3)


def test_classifiers_and_language_models_refuse_each_other(exported, sentiment_models):
  architecture, _, export_dir = exported
  with pytest.raises(EdgeError, match="text classification model, not a language model"):
    EdgeLanguageModel(sentiment_models.tflite["float32"])
  with pytest.raises(EdgeError, match="is a language model: generate text with it"):
    EdgeClassifier(_tflite(export_dir, architecture, "float32"))
  with pytest.raises(EdgeError, match="not found"):
    EdgeLanguageModel(os.path.join(export_dir, "missing.tflite"))
