"""Tests of the character vocabulary shared by training and the edge runtime."""

import json
import os
import time

import numpy as np
import pytest

from edge.char_vocabulary import PADDING, UNKNOWN, VOCABULARY_FILE, CharVocabulary
from edge.edge_error import EdgeError


def test_build_orders_by_count_then_code_point():
  vocabulary = CharVocabulary.build(["abcab", "b c"], max_size=10)
  # b x3, a x2, c x2 (a before c by code point), space x1.
  assert vocabulary.tokens == ("", "\ufffd", "b", "a", "c", " ")
  assert vocabulary.size == len(vocabulary) == 6


def test_size_cap_and_min_count():
  assert CharVocabulary.build(["aaabbc"], max_size=4).tokens == ("", "\ufffd", "a", "b")
  assert CharVocabulary.build(["aaabbc"], max_size=2).tokens == ("", "\ufffd")
  assert CharVocabulary.build(["aaabbc"], max_size=100, min_count=2).tokens == ("", "\ufffd", "a", "b")
  with pytest.raises(EdgeError, match="max_size must be >= 2"):
    CharVocabulary.build(["a"], max_size=1)
  with pytest.raises(EdgeError, match="min_count must be >= 1"):
    CharVocabulary.build(["a"], max_size=5, min_count=0)


def test_round_trip_keeps_case_punctuation_and_newlines():
  text = "It is a truth, universally acknowledged...\n\"My dear Mr. Bennet,\" said his lady."
  vocabulary = CharVocabulary.build([text], max_size=256)
  ids = vocabulary.encode(text)
  assert ids.dtype == np.int32 and ids.shape == (len(text),)
  assert ids.min() >= 2
  assert vocabulary.decode(ids) == text
  assert vocabulary.unknown_count(text) == 0


def test_unknown_characters_and_padding():
  vocabulary = CharVocabulary.build(["abc"], max_size=10)
  ids = vocabulary.encode("abxc")
  assert ids.tolist() == [vocabulary.tokens.index("a"), vocabulary.tokens.index("b"), UNKNOWN,
                          vocabulary.tokens.index("c")]
  assert vocabulary.decode(ids) == "ab\ufffdc"
  assert vocabulary.unknown_count("abxyc") == 2
  # A literal replacement character encodes to the unknown id and round-trips, so it is not counted as lost.
  assert vocabulary.encode("a\ufffd").tolist() == [2, UNKNOWN]
  assert vocabulary.unknown_count("a\ufffd") == 0
  assert vocabulary.decode([PADDING, 2, PADDING, 3, PADDING]) == "ab"
  assert vocabulary.decode(np.array([[2, 3]])) == "ab"
  assert vocabulary.encode("").shape == (0,)
  with pytest.raises(EdgeError, match="Id 7 is outside this vocabulary of 5 tokens"):
    vocabulary.decode([2, 7])


def test_characters_outside_the_basic_plane():
  text = "smile 😀 and 𝄞 clef, café"
  vocabulary = CharVocabulary.build([text], max_size=256)
  assert "😀" in vocabulary.tokens and "𝄞" in vocabulary.tokens
  assert len(vocabulary.encode(text)) == len(text)
  assert vocabulary.decode(vocabulary.encode(text)) == text
  narrow = CharVocabulary.build(["abc"], max_size=10)
  assert narrow.encode("a😀").tolist() == [2, UNKNOWN]
  # A lone surrogate (from a badly decoded string) is just another unknown character.
  assert narrow.encode("a\ud800").tolist() == [2, UNKNOWN]


def test_empty_vocabulary_encodes_everything_as_unknown():
  vocabulary = CharVocabulary.build([], max_size=10)
  assert vocabulary.encode("ab").tolist() == [UNKNOWN, UNKNOWN]


def test_encode_is_fast_on_a_novel_sized_text():
  text = "The quick brown fox jumps over the lazy dog. " * 70_000  # ~3 MB
  vocabulary = CharVocabulary.build([text], max_size=256)
  start = time.perf_counter()
  ids = vocabulary.encode(text)
  assert time.perf_counter() - start < 1.0
  assert len(ids) == len(text)


def test_constructor_rejects_bad_tokens():
  with pytest.raises(EdgeError, match="starts with ''"):
    CharVocabulary(["a", "b"])
  with pytest.raises(EdgeError, match="single character"):
    CharVocabulary(["", "\ufffd", "ab"])
  with pytest.raises(EdgeError, match="more than once"):
    CharVocabulary(["", "\ufffd", "a", "a"])
  with pytest.raises(EdgeError, match="more than once"):
    CharVocabulary(["", "\ufffd", "\ufffd"])


def test_save_and_load(tmp_path):
  vocabulary = CharVocabulary.build(["héllo wörld 😀\n"], max_size=256)
  path = tmp_path / VOCABULARY_FILE
  vocabulary.save(path)
  assert oct(os.stat(path).st_mode & 0o777) == "0o644"
  assert [entry.name for entry in tmp_path.iterdir()] == [VOCABULARY_FILE]
  content = json.loads(path.read_text(encoding="utf-8"))
  assert content == {"format": "char_vocabulary", "version": 1, "tokens": list(vocabulary.tokens)}
  assert CharVocabulary.load(path).tokens == vocabulary.tokens
  # Saving again replaces the file.
  CharVocabulary.build(["x"], max_size=5).save(path)
  assert CharVocabulary.load(str(path)).tokens == ("", "\ufffd", "x")


@pytest.mark.parametrize("content, message", [
    (None, "No character vocabulary at"),
    ("{not json", "is not a JSON file"),
    ('["a"]', "is not a character vocabulary"),
    ('{"format": "char_vocabulary", "version": 2, "tokens": []}', "of version 2; this runtime reads version 1"),
    ('{"format": "char_vocabulary", "version": 1, "tokens": "abc"}', "no list of string"),
    ('{"format": "char_vocabulary", "version": 1, "tokens": ["", "\\ufffd", "ab"]}', "invalid vocabulary"),
])
def test_load_rejects_missing_and_malformed_files(tmp_path, content, message):
  path = tmp_path / VOCABULARY_FILE
  if content is not None:
    path.write_text(content, encoding="utf-8")
  with pytest.raises(EdgeError, match=message):
    CharVocabulary.load(path)
