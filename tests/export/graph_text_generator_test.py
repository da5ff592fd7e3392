"""Tests of export/serving/graph_text_generator.py: the in-graph loop against `TextGenerator`, with a bigram table as model."""

import numpy as np
import pytest
import tensorflow as tf

from edge.char_vocabulary import PADDING, UNKNOWN, CharVocabulary
from edge.text_generator import TextGenerator
from export.serving.graph_text_generator import GraphTextGenerator
from export.serving.language_model_saved_model import GENERATE_INPUTS

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree by the pond; the fox ran off."
VOCABULARY = CharVocabulary.build([TEXT], max_size=64)
WINDOW = 6


def _bigram_logits() -> np.ndarray:
  """Next-character log-counts of TEXT, a little noise breaking ties: a real (if tiny) language model."""
  ids = VOCABULARY.encode(TEXT)
  counts = np.full((VOCABULARY.size, VOCABULARY.size), 0.5)
  np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
  noise = np.random.default_rng(0).uniform(0, 1e-3, counts.shape)
  return (np.log(counts) + noise).astype(np.float32)


TABLE = _bigram_logits()


def _position_logits(token_ids):
  return tf.gather(tf.constant(TABLE), token_ids)  # (batch, seq, vocab): the next token after each position


GENERATOR = GraphTextGenerator(_position_logits, VOCABULARY, WINDOW)
GENERATE = tf.function(GENERATOR.generate, input_signature=[
    tf.TensorSpec((None,), dtype, name=name) for name, dtype in GENERATE_INPUTS.items()])
REFERENCE = TextGenerator(lambda window, length: TABLE[window[length - 1]], VOCABULARY, WINDOW)


def _generate(prompts, max_tokens=20, temperature=0.0, top_k=0, top_p=1.0, seed=0) -> dict:
  count = len(prompts)

  def column(value, dtype):
    return tf.constant(np.broadcast_to(np.asarray(value, dtype), (count,)))

  outputs = GENERATE(tf.constant(prompts, tf.string), column(max_tokens, np.int32), column(temperature, np.float32),
                     column(top_k, np.int32), column(top_p, np.float32), column(seed, np.int32))
  return {"text": [value.decode("utf-8") for value in outputs["text"].numpy()],
          "token_ids": outputs["token_ids"].numpy(), "unknown_characters": outputs["unknown_characters"].numpy()}


def test_encoding_matches_the_vocabulary_including_unknown_characters():
  prompts = ["the cat", "the Ünïcode 🦊 fox", "\ufffd literal", ""]
  ids = GENERATOR.encode(tf.constant(prompts))
  for prompt, row in zip(prompts, ids.to_list()):
    assert row == VOCABULARY.encode(prompt).tolist()
  # Bytes that are not UTF-8 read as U+FFFD, the unknown token.
  assert GENERATOR.encode(tf.constant([b"th\xffe"])).to_list() == [[*VOCABULARY.encode("th").tolist(), UNKNOWN,
                                                                     *VOCABULARY.encode("e").tolist()]]


def test_greedy_text_equals_the_python_loop_while_the_window_slides():
  prompts = ["t", "the c", "the dog sat on", "a bird sang in the tree"]  # shorter and longer than the window
  max_tokens = [25, 3, 12, 1]
  outputs = _generate(prompts, max_tokens=max_tokens)
  assert outputs["token_ids"].shape == (4, 25)
  for prompt, count, text, ids in zip(prompts, max_tokens, outputs["text"], outputs["token_ids"]):
    expected = REFERENCE.generate(prompt, count)
    assert text == expected.text and tuple(ids[:count]) == expected.token_ids
    assert not ids[count:].any()  # rows that asked for fewer tokens are padded


@pytest.mark.parametrize("settings", [dict(top_k=1), dict(top_p=1e-6), dict(temperature=1e-4)])
def test_sampling_cut_to_the_best_token_is_greedy(settings):
  prompts = ["the c", "a bird sang in the tree"]
  greedy = _generate(prompts, max_tokens=15)
  assert _generate(prompts, max_tokens=15, temperature=settings.pop("temperature", 1.0), seed=7,
                   **settings)["text"] == greedy["text"]


def test_a_row_depends_only_on_its_prompt_settings_and_seed():
  prompts = ["the c", "the dog", "a bird"]
  batch = _generate(prompts, max_tokens=30, temperature=1.5, seed=[1, 2, 3])
  alone = _generate(prompts[1:2], max_tokens=30, temperature=1.5, seed=2)
  assert batch["text"][1] == alone["text"][0]
  assert _generate(prompts, max_tokens=30, temperature=1.5, seed=[1, 2, 3])["text"] == batch["text"]
  assert _generate(prompts, max_tokens=30, temperature=1.5, seed=[4, 5, 6])["text"] != batch["text"]


def test_top_k_keeps_sampling_among_the_k_most_likely_tokens():
  outputs = _generate(["the c"] * 8, max_tokens=30, temperature=2.0, top_k=2, seed=list(range(8)))
  ids = outputs["token_ids"]
  previous = np.concatenate([np.full((8, 1), VOCABULARY.encode("c")[0]), ids[:, :-1]], axis=1)
  top_two = np.argsort(-TABLE, axis=-1)[:, :2]
  assert all(token in top_two[before] for row, rows in zip(ids, previous) for token, before in zip(row, rows))
  assert len({text for text in outputs["text"]}) > 1  # and it does sample


def test_draws_follow_the_softmax_and_never_pick_padding_or_unknown():
  # The first step after "t": 2,000 rows with different seeds, one token each.
  count = 2000
  outputs = _generate(["t"] * count, max_tokens=1, temperature=1.0, seed=np.arange(count))
  tokens = outputs["token_ids"][:, 0]
  assert not np.isin(tokens, [PADDING, UNKNOWN]).any()
  logits = TABLE[VOCABULARY.encode("t")[0]].astype(np.float64)
  logits[[PADDING, UNKNOWN]] = -np.inf
  expected = np.exp(logits - logits.max())
  expected /= expected.sum()
  observed = np.bincount(tokens, minlength=VOCABULARY.size) / count
  likely = expected > 0.05
  np.testing.assert_allclose(observed[likely], expected[likely], atol=0.035)


def test_unreadable_prompts_and_no_tokens_give_empty_text():
  outputs = _generate(["", "ÜÜ🦊", "the cat", "the cat"], max_tokens=[5, 5, 0, -3])
  assert outputs["text"] == ["", "", "", ""]
  assert outputs["token_ids"].shape == (4, 0)
  assert outputs["unknown_characters"].tolist() == [0, 3, 0, 0]
  assert _generate([], max_tokens=[])["token_ids"].shape == (0, 0)


# A cached model whose logits depend on the position of the token read, so that where the window slides to shows.
POSITION_BONUS = np.random.default_rng(1).uniform(0, 2, (WINDOW, VOCABULARY.size)).astype(np.float32)


class _GraphPositionBigram:
  """In TensorFlow: the logits after a token at position p are TABLE[token] + POSITION_BONUS[p]; no cache."""

  def prefill(self, token_ids):
    last = tf.maximum(tf.reduce_sum(tf.cast(token_ids > 0, tf.int32), axis=1) - 1, 0)
    return self.decode(tf.gather(token_ids, last, batch_dims=1), last, ())[0], ()

  def decode(self, token_ids, positions, cache):
    return tf.gather(TABLE, token_ids) + tf.gather(POSITION_BONUS, positions), cache


class _PositionBigram:
  """The same model for the Python loop (a `CachedLanguageModel`)."""

  def prefill(self, window, length):
    return self.decode(window[length - 1], length - 1)

  def decode(self, token, position):
    return TABLE[token] + POSITION_BONUS[position]


@pytest.mark.parametrize("reprefill_length", [None, 1, WINDOW])
def test_cached_greedy_text_equals_the_python_loop_across_slides(reprefill_length):
  generator = GraphTextGenerator(_GraphPositionBigram(), VOCABULARY, WINDOW, reprefill_length=reprefill_length)
  generate = tf.function(generator.generate, input_signature=[
      tf.TensorSpec((None,), dtype, name=name) for name, dtype in GENERATE_INPUTS.items()])
  prompts = ["t", "the c", "the dog sat on"]
  max_tokens = np.array([20, 3, 17], np.int32)
  count = len(prompts)
  outputs = generate(tf.constant(prompts), tf.constant(max_tokens), tf.zeros(count), tf.zeros(count, tf.int32),
                     tf.ones(count), tf.zeros(count, tf.int32))
  reference = TextGenerator(_PositionBigram(), VOCABULARY, WINDOW, reprefill_length=reprefill_length)
  assert reference.reprefill_length == (reprefill_length or WINDOW // 2)
  for prompt, tokens, ids in zip(prompts, max_tokens, outputs["token_ids"].numpy()):
    assert tuple(ids[:tokens]) == reference.generate(prompt, int(tokens)).token_ids, prompt
