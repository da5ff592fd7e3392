"""Tests of the block split of text corpora (`TextCorpus.from_documents`)."""

import logging
import string

import numpy as np
import pytest

from tfmodels.config import DataConfig
from tfmodels.data import DataError
from tfmodels.data.lm_windows import make_windows
from tfmodels.data.text_corpus import BLOCK_SIZE, TextCorpus


def _document(length: int, seed: int) -> str:
  letters = np.random.default_rng(seed).choice(list(string.ascii_lowercase + " "), length)
  return "".join(letters)


def _split(documents, **overrides) -> TextCorpus:
  return TextCorpus.from_documents("text:corpus", documents, DataConfig(dataset="text:corpus", **overrides))


def _positions(corpus: TextCorpus, documents) -> dict[str, list[tuple[int, int, int]]]:
  """`(document, start, end)` of every block of each split, found by searching the documents."""
  found = {}
  for split, blocks in corpus.splits.items():
    found[split] = []
    for block in blocks:
      hits = [(index, text.find(block)) for index, (_, text) in enumerate(documents) if block in text]
      assert len(hits) == 1
      index, start = hits[0]
      found[split].append((index, start, start + len(block)))
  return found


def test_blocks_cover_every_document_once_and_keep_their_order():
  documents = [("a.txt", _document(10 * BLOCK_SIZE + 123, 0)), ("b.txt", _document(3 * BLOCK_SIZE, 1)),
               ("c.txt", _document(BLOCK_SIZE // 2, 2))]
  corpus = _split(documents)
  assert corpus.name == "text:corpus"
  assert corpus.documents == ("a.txt", "b.txt", "c.txt")
  assert corpus.block_size == BLOCK_SIZE
  assert {len(blocks) for blocks in corpus.splits.values()} <= set(range(1, 15))
  assert sum(len(blocks) for blocks in corpus.splits.values()) == 10 + 3 + 1
  assert corpus.num_characters == {split: sum(map(len, blocks)) for split, blocks in corpus.splits.items()}
  assert sum(corpus.num_characters.values()) == sum(len(text) for _, text in documents)
  positions = _positions(corpus, documents)
  for spans in positions.values():
    assert spans == sorted(spans)
  everything = sorted(span for spans in positions.values() for span in spans)
  for (document, start, end), following in zip(everything, everything[1:] + [None]):
    if following and following[0] == document:
      assert following[1] == end  # Contiguous and disjoint.
  # The short tail of a.txt joins its last block.
  assert (0, 9 * BLOCK_SIZE, 10 * BLOCK_SIZE + 123) in everything


def test_fractions_are_rounded_and_the_split_is_deterministic():
  documents = [("book", _document(40 * BLOCK_SIZE, 3))]
  corpus = _split(documents, validation_fraction=0.1, test_fraction=0.2)
  assert [len(corpus.splits[split]) for split in ("train", "validation", "test")] == [28, 4, 8]
  assert _split(documents, validation_fraction=0.1, test_fraction=0.2).splits == corpus.splits
  assert _split(documents, split_seed=1).splits != corpus.splits


def test_windows_of_different_splits_never_share_text():
  documents = [("book", _document(12 * BLOCK_SIZE + 77, 4))]
  corpus = _split(documents, sequence_length=64)
  text = documents[0][1]
  spans = {split: [] for split in corpus.splits}
  for split, blocks in corpus.splits.items():
    for block in blocks:
      start = text.find(block)
      inputs, _ = make_windows([np.arange(start, start + len(block))], 64)
      spans[split].extend(range(int(row[0]), int(row[-1]) + 2) for row in inputs)
  covered = {split: {position for span in split_spans for position in span} for split, split_spans in spans.items()}
  assert not covered["train"] & covered["test"]
  assert not covered["train"] & covered["validation"]
  assert not covered["validation"] & covered["test"]


def test_a_small_text_gets_smaller_blocks():
  corpus = _split([("note.txt", _document(1000, 5))], sequence_length=63)
  # 4096 -> ... -> 256: three blocks of 256 plus the tail.
  assert corpus.block_size == 256
  assert [len(corpus.splits[split]) for split in ("train", "validation", "test")] == [1, 1, 1]
  assert sum(corpus.num_characters.values()) == 1000
  tiny = _split([("note.txt", _document(200, 6))], sequence_length=63)
  assert tiny.block_size == 64 and all(tiny.splits.values())


def test_every_split_gets_a_block_and_train_keeps_one():
  corpus = _split([("book", _document(3 * BLOCK_SIZE, 7))], validation_fraction=0.01, test_fraction=0.9)
  assert [len(corpus.splits[split]) for split in ("train", "validation", "test")] == [1, 1, 1]


def test_no_validation_fraction_gives_an_empty_validation_split():
  corpus = _split([("book", _document(130, 8))], sequence_length=63, validation_fraction=0.0)
  assert corpus.splits["validation"] == ()
  assert corpus.num_characters["validation"] == 0
  assert len(corpus.splits["train"]) == len(corpus.splits["test"]) == 1


def test_documents_shorter_than_a_window_are_left_out(caplog):
  documents = [("long.txt", _document(5000, 9)), ("short.txt", "Too short.")]
  with caplog.at_level(logging.WARNING):
    corpus = _split(documents, sequence_length=100)
  assert "1 of 2 document(s) are shorter than one window of 101 characters" in caplog.text
  assert corpus.documents == ("long.txt", "short.txt")
  assert sum(corpus.num_characters.values()) == 5000


def test_too_small_a_text_says_how_much_is_needed():
  with pytest.raises(DataError) as raised:
    _split([("note.txt", _document(250, 10))], sequence_length=100)
  message = str(raised.value)
  assert "text:corpus has 250 characters, too few to give train, validation and test one window of 101" in message
  assert "needs at least 303 characters" in message
  assert "--params=data.sequence_length=82" in message  # 250 // 83 == 3 windows.


def test_too_small_counts_only_documents_long_enough():
  documents = [(f"{index}.txt", _document(60, index)) for index in range(10)]
  with pytest.raises(DataError, match=r"has 600 characters \(0 of them in documents of at least 101 characters\)"):
    _split(documents, sequence_length=100)


def test_two_characters_are_too_few_for_any_window():
  with pytest.raises(DataError, match="needs at least 6 characters. Add more text."):
    _split([("a.txt", "ab")], sequence_length=1)
