"""Tests for tfmodels/models/transformer_lm.py and tfmodels/models/lstm_lm.py."""

import dataclasses

import keras
import numpy as np
import pytest

from edge.char_vocabulary import CharVocabulary
from edge.text_generator import TextGenerator
from tests.testing import model_test_case
from tfmodels.config import LstmLmConfig, ModelConfig, TransformerLmConfig
from tfmodels.generation import KerasCachedLanguageModel, KerasNextToken
from tfmodels.models import LstmLm, TransformerLm, build_model

VOCAB, LENGTH = model_test_case.DIGITS_VOCAB_SIZE, 16
TRANSFORMER = {"vocab_size": VOCAB, "sequence_length": LENGTH, "embedding_dim": 16, "num_layers": 2, "num_heads": 2,
               "ff_dim": 32, "dropout": 0.0}
LSTM = {"vocab_size": VOCAB, "sequence_length": LENGTH, "embedding_dim": 8, "lstm_units": 16, "num_layers": 2,
        "dropout": 0.0}
MODELS = [(TransformerLm, TRANSFORMER), (TransformerLm, {**TRANSFORMER, "tie_embeddings": True}), (LstmLm, LSTM)]


def _sequences():
  """Real token sequences: rows of the digits images as ids 1..17, 16 pixels (two image rows) per sequence."""
  ids, _ = model_test_case.digits_token_ids()
  return ids[:, :LENGTH].copy()


@pytest.mark.parametrize("cls,kwargs", MODELS)
def test_logits_per_position(cls, kwargs):
  model = cls(**kwargs)
  logits = keras.ops.convert_to_numpy(model(_sequences()[:3]))
  assert logits.shape == (3, LENGTH, VOCAB)
  assert logits.dtype == np.float32


@pytest.mark.parametrize("cls,kwargs", MODELS)
def test_later_tokens_do_not_change_earlier_logits(cls, kwargs):
  model = cls(**kwargs)
  ids = _sequences()[:4]
  changed = ids.copy()
  changed[:, 9:] = 0  # right padding, as for a short prompt
  changed[:2, 9:] = 5  # or other later tokens
  np.testing.assert_allclose(keras.ops.convert_to_numpy(model(changed))[:, :9],
                             keras.ops.convert_to_numpy(model(ids))[:, :9], atol=1e-5)


@pytest.mark.parametrize("cls,kwargs", MODELS)
def test_saving_round_trip(cls, kwargs, tmp_path):
  model_test_case.run_model_saving_test(cls, kwargs, _sequences()[:4], tmp_path)


@pytest.mark.parametrize("cls,kwargs", MODELS)
def test_learns_next_pixels(cls, kwargs):
  ids = _sequences()
  model = cls(**kwargs)
  inputs = np.concatenate([ids[:, :-1], np.zeros((len(ids), 1), np.int32)], axis=1)
  targets = np.concatenate([ids[:, 1:], np.zeros((len(ids), 1), np.int32)], axis=1)
  model_test_case.run_training_test(model, inputs, targets, epochs=3, max_loss_ratio=0.8)


@pytest.mark.parametrize("cls,kwargs", MODELS)
def test_mixed_precision(cls, kwargs):
  model_test_case.run_mixed_precision_test(cls, kwargs, _sequences()[:2])


def test_tied_embeddings_have_no_output_layer():
  tied = TransformerLm(**{**TRANSFORMER, "tie_embeddings": True})
  untied = TransformerLm(**TRANSFORMER)
  assert untied.count_params() - tied.count_params() == 16 * VOCAB + VOCAB


def test_build_model_uses_the_config():
  settings = TransformerLmConfig(embedding_dim=8, num_layers=1, num_heads=2, ff_dim=16, dropout=0.0)
  model = build_model(ModelConfig(name="transformer_lm", transformer_lm=settings), num_classes=0, feature_shape=(12,),
                      vocab_size=30, sequence_length=12)
  assert isinstance(model, TransformerLm)
  assert {k: model.get_config()[k] for k in dataclasses.asdict(settings)} == dataclasses.asdict(settings)
  lstm = build_model(ModelConfig(name="lstm_lm", lstm_lm=LstmLmConfig(num_layers=2)), num_classes=0,
                     feature_shape=(12,), vocab_size=30, sequence_length=12)
  assert isinstance(lstm, LstmLm) and len(lstm.lstms) == 2


@pytest.mark.parametrize("cls,kwargs", MODELS)
@pytest.mark.parametrize("prompt_length", [1, 6, LENGTH])
def test_cached_path_gives_the_full_window_logits_at_every_position(cls, kwargs, prompt_length):
  model = cls(**kwargs)
  ids = _sequences()[:3]
  full = keras.ops.convert_to_numpy(model(ids))  # (3, LENGTH, VOCAB)
  window = ids.copy()
  window[:, prompt_length:] = 0
  logits, cache = model.prefill(window)
  assert [tuple(c.shape) for c in cache] == list(model.cache_shapes(3)) and len(cache) == len(model.cache_names())
  np.testing.assert_allclose(keras.ops.convert_to_numpy(logits), full[:, prompt_length - 1], atol=1e-4)
  for position in range(prompt_length, LENGTH):
    logits, cache = model.decode(ids[:, position], np.full(3, position, np.int32), cache)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(logits), full[:, position], atol=1e-4)


def test_a_transformer_prefill_of_half_a_window_equals_the_whole_window_prefill_there():
  model = TransformerLm(**TRANSFORMER)
  lengths = model.prefill_lengths()
  assert lengths == (LENGTH // 2, LENGTH) and LstmLm(**LSTM).prefill_lengths() == (LENGTH,)
  window = _sequences()[:3]
  window[:, 5:] = 0  # 5 real tokens, in both
  whole_logits, whole_cache = model.prefill(window)
  half_logits, half_cache = model.prefill(window[:, :lengths[0]])
  np.testing.assert_allclose(keras.ops.convert_to_numpy(half_logits), keras.ops.convert_to_numpy(whole_logits),
                             atol=1e-5)
  for half, whole in zip(half_cache, whole_cache):
    assert tuple(half.shape) == (3, lengths[0], *model.cache_shapes(3)[0][2:])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(half), keras.ops.convert_to_numpy(whole)[:, :lengths[0]],
                               atol=1e-5)


@pytest.mark.parametrize("cls,kwargs", MODELS)
def test_cached_greedy_text_equals_full_window_text(cls, kwargs):
  model = cls(**kwargs)
  vocabulary = CharVocabulary(["", "\ufffd", *"abcdefghijklmnopqrstuvwxyz"[:VOCAB - 2]])
  cached = KerasCachedLanguageModel(model)
  full_window = TextGenerator(KerasNextToken(model), vocabulary, LENGTH)
  for prompt in ("a", "bad cafe", "abcdefghijklmnopqrstuv"):  # the last is longer than the window
    expected = full_window.generate(prompt, 2 * LENGTH)
    # Re-reading a whole window at each slide is full-window decoding.
    assert TextGenerator(cached, vocabulary, LENGTH, reprefill_length=LENGTH).generate(
        prompt, 2 * LENGTH) == expected
    # Sliding by half a window reads the same contexts until the window first fills.
    sliding = TextGenerator(cached, vocabulary, LENGTH).generate(prompt, 2 * LENGTH)
    first_slide = LENGTH - min(len(prompt), LENGTH) + 1
    assert sliding.token_ids[:first_slide] == expected.token_ids[:first_slide]


def test_an_lstm_cell_clip_bounds_the_cell_states_only_when_asked():
  model = LstmLm(**LSTM)
  tokens = np.random.default_rng(3).integers(1, VOCAB, size=(2, LENGTH)).astype(np.int32)
  logits, cache = model.prefill(tokens)
  wide_logits, wide_cache = model.prefill(tokens, cell_clip=1e9)
  np.testing.assert_allclose(keras.ops.convert_to_numpy(wide_logits), keras.ops.convert_to_numpy(logits), atol=1e-6)
  bound = 0.25 * float(np.abs(keras.ops.convert_to_numpy(cache[1])).max())
  _, clipped = model.prefill(tokens, cell_clip=bound)
  assert float(np.abs(keras.ops.convert_to_numpy(clipped[1])).max()) <= bound + 1e-6
  _, stepped = model.decode(tokens[:, 0], None, clipped, cell_clip=bound)
  assert float(np.abs(keras.ops.convert_to_numpy(stepped[1])).max()) <= bound + 1e-6
  assert len(wide_cache) == len(cache)
