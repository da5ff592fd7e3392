"""Tests for edge/text_generator.py: the loop's windowing, stopping and errors, with a bigram table as the model."""

import numpy as np
import pytest

from edge.char_vocabulary import CharVocabulary
from edge.edge_error import EdgeError
from edge.text_generator import TextGenerator

TEXT = "the cat sat on the mat. the dog sat on the log. "
VOCABULARY = CharVocabulary.build([TEXT], max_size=64)


def _bigram_logits():
  """Next-character log-counts of TEXT: a real (if tiny) language model of the text."""
  ids = VOCABULARY.encode(TEXT)
  counts = np.full((VOCABULARY.size, VOCABULARY.size), 1e-3)
  np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
  return np.log(counts)


class Recorder:
  """Next-token function that answers from the bigram table and records the windows it was given."""

  def __init__(self):
    self.table = _bigram_logits()
    self.calls = []

  def __call__(self, window, length):
    self.calls.append((window.copy(), length))
    return self.table[window[length - 1]]


def test_windows_are_right_padded_then_slide():
  model = Recorder()
  generation = TextGenerator(model, VOCABULARY, sequence_length=4).generate("th", max_tokens=5)
  assert len(generation.token_ids) == 5 and len(generation.text) == 5
  first_window, first_length = model.calls[0]
  assert first_length == 2 and list(first_window[2:]) == [0, 0]
  assert list(first_window[:2]) == list(VOCABULARY.encode("th"))
  last_window, last_length = model.calls[-1]
  assert last_length == 4
  assert VOCABULARY.decode(last_window) == ("th" + generation.text)[-5:-1]


def test_greedy_is_deterministic_and_follows_the_model():
  generator = TextGenerator(Recorder(), VOCABULARY, sequence_length=8)
  generation = generator.generate("the d", max_tokens=3)
  assert generation.text == generator.generate("the d", max_tokens=3).text
  assert generation.text == "og "  # "d" is followed by "o" in TEXT, "o" most often by "g" (dog, log) then " "


def test_sampling_is_reproducible_with_a_seed():
  generator = TextGenerator(Recorder(), VOCABULARY, sequence_length=8)
  a = generator.generate("the", 40, temperature=1.0, seed=3)
  assert a.text == generator.generate("the", 40, temperature=1.0, seed=3).text
  assert a.text != generator.generate("the", 40, temperature=1.0, seed=4).text


def test_unknown_characters_are_counted_but_never_generated():
  generation = TextGenerator(Recorder(), VOCABULARY, sequence_length=8).generate("thé", 30, temperature=1.0, seed=0)
  assert generation.unknown_characters == 1
  assert "\ufffd" not in generation.text


@pytest.mark.parametrize("prompt,max_tokens,message", [("the", 0, "max_tokens"), ("", 5, "empty"),
                                                       ("ÆØÅ", 5, "No character of the prompt")])
def test_bad_requests(prompt, max_tokens, message):
  with pytest.raises(EdgeError, match=message):
    TextGenerator(Recorder(), VOCABULARY, sequence_length=8).generate(prompt, max_tokens)
