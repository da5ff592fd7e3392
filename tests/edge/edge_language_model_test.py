"""Tests of edge/edge_language_model.py: exported tiny language models generate on LiteRT as Keras does."""

import os

import numpy as np
import pytest

from edge import EdgeClassifier, EdgeError, EdgeLanguageModel
from edge.char_vocabulary import PADDING, UNKNOWN
from edge.text_generator import TextGenerator
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


def test_the_file_has_the_cached_signatures_its_metadata_names(exported):
  architecture, model_dir, export_dir = exported
  model = EdgeLanguageModel(_tflite(export_dir, architecture, "float32"))
  keras_model = ModelArtifact.load(model_dir).load_model()
  info = model.metadata.language_model
  # A transformer's prefill costs its static window, so its file also has one of half a window (what a slide reads).
  short = {f"prefill_{SEQUENCE_LENGTH // 2}"} if architecture == "transformer_lm" else set()
  assert model.cached and set(info.signatures) == {"prefill", "decode", *short}
  assert info.cache == keras_model.cache_names()
  assert set(info.signatures["decode"]["inputs"]) == {"tokens", "input_pos", *info.cache}
  for key in {"prefill", *short}:
    assert set(info.signatures[key]["outputs"]) == {"logits", *info.cache}


@pytest.mark.parametrize("mode", ["float32", "full_int8"])
def test_prefill_then_decode_give_keras_logits_at_every_position(exported, mode):
  architecture, model_dir, export_dir = exported
  model = EdgeLanguageModel(_tflite(export_dir, architecture, mode))
  keras_model = ModelArtifact.load(model_dir).load_model()
  ids = model.vocabulary.encode(PROMPTS[2])[:SEQUENCE_LENGTH]
  full = np.asarray(keras_model(ids[None].astype(np.int32), training=False))[0]  # (T, V)
  prompt = 5
  logits = [model.prefill(np.pad(ids[:prompt], (0, SEQUENCE_LENGTH - prompt)), prompt)]
  logits += [model.decode(int(ids[position]), position) for position in range(prompt, SEQUENCE_LENGTH)]
  if mode == "float32":
    np.testing.assert_allclose(np.stack(logits), full[prompt - 1:], atol=1e-4)
  else:  # integer kernels: the same choices, mostly, after up to a window of decode steps on an int8 cache
    agreement = np.mean(np.argmax(logits, axis=-1) == np.argmax(full[prompt - 1:], axis=-1))
    assert agreement >= 0.6, agreement
  assert model.signatures.calls == {"prefill": 1, "decode": SEQUENCE_LENGTH - prompt}


def test_a_short_prefill_runs_through_the_shortest_signature_that_holds_it(exported):
  architecture, _, export_dir = exported
  model = EdgeLanguageModel(_tflite(export_dir, architecture, "float32"))
  ids = model.vocabulary.encode(PROMPTS[2])[:SEQUENCE_LENGTH]
  for length in (3, SEQUENCE_LENGTH // 2, SEQUENCE_LENGTH // 2 + 1):
    window = np.pad(ids[:length], (0, SEQUENCE_LENGTH - length))
    signatures = model.signatures
    short = signatures.prefill(window)
    short_steps = [signatures.decode(int(ids[p]), p) for p in range(length, SEQUENCE_LENGTH)]
    whole = signatures.prefill(window, whole=True)
    whole_steps = [signatures.decode(int(ids[p]), p) for p in range(length, SEQUENCE_LENGTH)]
    np.testing.assert_allclose(short, whole, atol=1e-5)
    np.testing.assert_allclose(np.stack(short_steps), np.stack(whole_steps), atol=1e-5)
  runners = {key: model._interpreter.get_signature_runner(key)  # pylint: disable=protected-access
             for key in model.metadata.language_model.signatures if key.startswith("prefill")}
  lengths = sorted(runner.get_input_details()["tokens"]["shape"][1] for runner in runners.values())
  assert lengths == ([SEQUENCE_LENGTH // 2, SEQUENCE_LENGTH] if architecture == "transformer_lm"
                     else [SEQUENCE_LENGTH])


@pytest.mark.slow
def test_cached_greedy_text_re_reading_whole_windows_equals_full_window_keras(exported):
  architecture, model_dir, export_dir = exported
  edge = EdgeLanguageModel(_tflite(export_dir, architecture, "float32"))
  full_window = TextGenerator(KerasNextToken(ModelArtifact.load(model_dir).load_model()), edge.vocabulary,
                              SEQUENCE_LENGTH)
  for prompt in PROMPTS:  # the last is longer than the window: every token past it is a re-read window
    assert edge.generator(reprefill_length=SEQUENCE_LENGTH).generate(prompt, 50) == full_window.generate(prompt, 50)
  # The default slides by half a window: the prompt fills the window, so after each of the 2T - 1 tokens that get a
  # successor comes a prefill (slide), then T/2 decodes, then a prefill again...
  edge.signatures.calls.update(prefill=0, decode=0)
  edge.generator().generate(PROMPTS[2], 2 * SEQUENCE_LENGTH)
  steps = 2 * SEQUENCE_LENGTH - 1
  slides = -(-steps // (SEQUENCE_LENGTH // 2 + 1))
  assert edge.signatures.calls == {"prefill": 1 + slides, "decode": steps - slides}


def test_returned_logits_are_their_own_and_the_held_tensors_cannot_move(exported):
  architecture, _, export_dir = exported
  model = EdgeLanguageModel(_tflite(export_dir, architecture, "float32"))
  window = np.zeros(SEQUENCE_LENGTH, np.int32)
  window[:3] = model.vocabulary.encode("abc")
  first = model.prefill(window, 3)
  kept = first.copy()
  second = model.decode(int(model.vocabulary.encode("d")[0]), 3)
  model.decode(int(model.vocabulary.encode("e")[0]), 4)
  np.testing.assert_array_equal(first, kept)  # not a view of an output the next call overwrites
  assert not np.array_equal(first, second)
  # The runtime holds views of the signatures' tensors; LiteRT then refuses to reallocate (move) them.
  with pytest.raises(RuntimeError, match="reference to internal data"):
    model._interpreter.allocate_tensors()  # pylint: disable=protected-access


def test_decode_refuses_positions_out_of_order(exported):
  architecture, _, export_dir = exported
  model = EdgeLanguageModel(_tflite(export_dir, architecture, "float32"))
  with pytest.raises(EdgeError, match="prefill a window first"):
    model.decode(3, 0)
  window = np.zeros(SEQUENCE_LENGTH, np.int32)
  window[:3] = model.vocabulary.encode("abc")
  model.prefill(window, 3)
  with pytest.raises(EdgeError, match="decode positions in order"):
    model.decode(3, 4)
  with pytest.raises(EdgeError, match="not padding"):
    model.decode(PADDING, 3)
