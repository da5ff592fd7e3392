"""Tests for tfmodels/models/lstm_encoder_lm.py and transformer_encoder_mlm.py: the word predictors that pretrain a
text classifier's encoder, and the hand-over of their weights (tfmodels/training/pretraining.py)."""

import keras
import numpy as np
import pytest

from tests.testing import model_test_case
from tfmodels.config import ConfigError, LstmConfig, ModelConfig, TransformerConfig
from tfmodels.models import LstmClassifier, LstmEncoderLm, TransformerClassifier, TransformerEncoderMlm, build_model
from tfmodels.training import pretraining

VOCAB = model_test_case.DIGITS_VOCAB_SIZE
LENGTH = 16


def token_ids(count=4):
  ids, _ = model_test_case.digits_token_ids()
  return ids[:count, :LENGTH].astype(np.int32)


def test_build_model_builds_the_pretraining_model_of_each_text_classifier():
  lstm = build_model(ModelConfig(name="lstm", lstm=LstmConfig(embedding_dim=8, lstm_units=6)), num_classes=VOCAB,
                     feature_shape=(LENGTH,), vocab_size=VOCAB, num_targets=5)
  transformer = build_model(ModelConfig(name="transformer", transformer=TransformerConfig(embedding_dim=8, ff_dim=8)),
                            num_classes=VOCAB, feature_shape=(LENGTH,), vocab_size=VOCAB, num_targets=3)
  assert isinstance(lstm, LstmEncoderLm) and isinstance(transformer, TransformerEncoderMlm)
  positions = np.zeros((4, 5), np.int32)
  assert lstm((token_ids(), positions)).shape == (4, 5, VOCAB)
  assert transformer((token_ids(), positions[:, :3])).shape == (4, 3, VOCAB)
  assert lstm((token_ids(), positions)).dtype == "float32"


def test_the_forward_direction_sees_no_later_word_and_the_backward_no_earlier_one():
  model = LstmEncoderLm(VOCAB, LENGTH, num_targets=2, embedding_dim=8, lstm_units=6, dropout=0.0)
  ids = token_ids(1)
  p = 6
  # Forward state at p predicts word p + 1; backward state at p (position LENGTH + p) predicts word p - 1.
  positions = np.array([[p, LENGTH + p]], np.int32)
  before = model((ids, positions)).numpy()
  later = ids.copy()
  later[0, p + 1:] = (later[0, p + 1:] % (VOCAB - 2)) + 2  # every later word changed, none padding
  earlier = ids.copy()
  earlier[0, :p] = (earlier[0, :p] % (VOCAB - 2)) + 2
  np.testing.assert_allclose(model((later, positions)).numpy()[0, 0], before[0, 0], atol=1e-6)
  np.testing.assert_allclose(model((earlier, positions)).numpy()[0, 1], before[0, 1], atol=1e-6)
  assert not np.allclose(model((later, positions)).numpy()[0, 1], before[0, 1])  # the backward one does see them


def test_the_output_is_tied_to_the_input_embedding():
  model = TransformerEncoderMlm(VOCAB, LENGTH, num_targets=2, embedding_dim=8, num_heads=2, ff_dim=8)
  names = [variable.path for variable in model.trainable_variables]
  assert sum("token_embedding/embeddings" in name for name in names) == 1  # one table, read twice
  assert not any(variable.shape == (8, VOCAB) for variable in model.trainable_variables)


@pytest.mark.parametrize("model", [
    LstmEncoderLm(VOCAB, LENGTH, num_targets=3, embedding_dim=8, lstm_units=6),
    TransformerEncoderMlm(VOCAB, LENGTH, num_targets=3, embedding_dim=8, num_heads=2, ff_dim=8)],
    ids=["lstm", "transformer"])
def test_saved_and_loaded_it_gives_the_same_logits(model, tmp_path):
  path = str(tmp_path / "model.keras")
  model.save(path)
  loaded = keras.models.load_model(path)
  inputs = (token_ids(), np.tile(np.arange(3, dtype=np.int32), (4, 1)))
  np.testing.assert_allclose(loaded(inputs).numpy(), model(inputs).numpy(), atol=1e-6)


@pytest.mark.parametrize("bidirectional", [True, False])
def test_a_classifier_takes_the_lstm_encoders_weights(bidirectional):
  settings = {"embedding_dim": 8, "lstm_units": 6, "bidirectional": bidirectional}
  encoder = LstmEncoderLm(VOCAB, LENGTH, num_targets=3, **settings)
  classifier = LstmClassifier(num_classes=3, vocab_size=VOCAB, sequence_length=LENGTH, **settings)
  head_before = [variable.numpy().copy() for variable in classifier.logits.weights]
  pretraining.transfer_encoder(encoder, classifier, "pretrained")
  for source, target in zip(encoder.encoder_layers(), classifier.encoder_layers()):
    for expected, actual in zip(source.get_weights(), target.get_weights()):
      np.testing.assert_array_equal(actual, expected)
  for before, variable in zip(head_before, classifier.logits.weights):
    np.testing.assert_array_equal(variable.numpy(), before)  # the output layer stays new
  encoder_ids = {id(variable) for variable in pretraining.encoder_variables(classifier)}
  head_ids = {id(variable) for variable in pretraining.head_variables(classifier)}
  assert not encoder_ids & head_ids
  assert {id(variable) for variable in classifier.logits.trainable_variables} <= head_ids


def test_a_transformer_classifier_with_a_shorter_sequence_takes_the_first_positions():
  settings = {"embedding_dim": 8, "num_heads": 2, "ff_dim": 8}
  encoder = TransformerEncoderMlm(VOCAB, LENGTH, num_targets=3, **settings)
  classifier = TransformerClassifier(num_classes=3, vocab_size=VOCAB, sequence_length=LENGTH // 2, **settings)
  pretraining.transfer_encoder(encoder, classifier, "pretrained")
  np.testing.assert_array_equal(classifier.embedding.position_embeddings.numpy(),
                                encoder.embedding.position_embeddings.numpy()[:LENGTH // 2])
  longer = TransformerClassifier(num_classes=3, vocab_size=VOCAB, sequence_length=LENGTH * 2, **settings)
  with pytest.raises(ConfigError, match="sequence length no longer than"):
    pretraining.transfer_encoder(encoder, longer, "pretrained")


def test_an_encoder_of_other_settings_is_refused_with_its_settings():
  encoder = LstmEncoderLm(VOCAB, LENGTH, num_targets=3, embedding_dim=8, lstm_units=6)
  classifier = LstmClassifier(num_classes=3, vocab_size=VOCAB, sequence_length=LENGTH, embedding_dim=8,
                              lstm_units=12)
  with pytest.raises(ConfigError, match="lstm_units=6"):
    pretraining.transfer_encoder(encoder, classifier, "pretrained")
