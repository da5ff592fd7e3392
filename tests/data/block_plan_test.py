"""Tests of the block split of text corpora (`BlockPlan`)."""

import dataclasses
import logging
import string

import numpy as np
import pytest

from tfmodels.config import DataConfig
from tfmodels.data import DataError
from tfmodels.data.block_plan import BLOCK_SIZE, BlockPlan


@dataclasses.dataclass(frozen=True)
class _Split:
  """What a plan makes of documents held in memory."""
  documents: tuple[str, ...]
  block_size: int
  splits: dict[str, tuple[str, ...]]
  num_characters: dict[str, int]


def _document(length: int, seed: int) -> str:
  letters = np.random.default_rng(seed).choice(list(string.ascii_lowercase + " "), length)
  return "".join(letters)


def _split(documents, pieces: int = 3, **overrides) -> _Split:
  """Plans the documents and cuts them, each given as `pieces` pieces of text."""
  plan = BlockPlan.from_lengths("text:corpus", [len(text) for _, text in documents],
                                DataConfig(dataset="text:corpus", **overrides))
  cut = [np.array_split(np.array(list(text), dtype=object), pieces) for _, text in documents]
  splits = {split: [] for split in ("train", "validation", "test")}
  for split, block in plan.blocks(["".join(piece) for piece in document] for document in cut):
    splits[split].append(block)
  return _Split(documents=tuple(name for name, _ in documents), block_size=plan.block_size,
                splits={split: tuple(blocks) for split, blocks in splits.items()},
                num_characters={split: sum(map(len, blocks)) for split, blocks in splits.items()})


def _positions(corpus: _Split, documents) -> dict[str, list[tuple[int, int, int]]]:
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
      # Windows of 65 characters, starting every 64 characters of the block.
      spans[split].extend(range(start + offset, start + offset + 65) for offset in range(0, len(block) - 64, 64))
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


@pytest.mark.parametrize("pieces", [1, 7, 5000])
def test_blocks_are_the_same_however_the_text_arrives(pieces):
  documents = [("a.txt", _document(5 * BLOCK_SIZE + 11, 11)), ("b.txt", _document(50, 12)),
               ("c.txt", _document(2 * BLOCK_SIZE, 13))]
  assert _split(documents, pieces=pieces).splits == _split(documents, pieces=2).splits


def test_a_document_that_changed_since_it_was_planned_is_refused():
  plan = BlockPlan.from_lengths("text:corpus", [3 * BLOCK_SIZE], DataConfig(dataset="text:corpus"))
  with pytest.raises(DataError, match="changed while it was read"):
    list(plan.blocks([[_document(3 * BLOCK_SIZE - 1, 14)]]))
  with pytest.raises(DataError, match="changed while it was read"):
    list(plan.blocks([[_document(3 * BLOCK_SIZE + 1, 14)]]))
  with pytest.raises(DataError, match="0 documents were read where 1 were counted"):
    list(plan.blocks([]))


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
