"""Tests of a prepared text corpus (`TextCorpus`): blocks and next-token windows streamed from its records."""

import numpy as np
import pytest
import tensorflow as tf

from edge.char_vocabulary import UNKNOWN, CharVocabulary
from tfmodels.config import DataConfig
from tfmodels import data as data_lib
from tfmodels.data.builders import split_carving_builder

_WORDS = ("the quick brown fox jumps over a lazy dog while seven wizards quietly hex jumbo pancakes at dawn; "
          "Émile's café — naïve, déjà vu!\n")


def _text(length: int, seed: int) -> str:
  words = _WORDS.split(" ")
  rng = np.random.default_rng(seed)
  text = " ".join(rng.choice(words, length // 4))
  return text[:length]


def _corpus(tmp_path, files: dict[str, str], **overrides) -> data_lib.TextCorpus:
  folder = tmp_path / "texts"
  for name, text in files.items():
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
  return data_lib.load_corpus(DataConfig(dataset=f"text:{folder}", data_dir=str(tmp_path / "cache"), **overrides))


def _reference_windows(blocks, vocabulary, length):
  """Windows of `length + 1` ids every `length` ids inside each block, cut with numpy."""
  inputs, targets = [], []
  for block in blocks:
    ids = vocabulary.encode(block)
    for start in range(0, len(ids) - length, length):
      inputs.append(ids[start:start + length])
      targets.append(ids[start + 1:start + length + 1])
  return np.array(inputs, np.int32), np.array(targets, np.int64)


def test_windows_are_cut_inside_blocks_from_the_streamed_records(tmp_path):
  corpus = _corpus(tmp_path, {"a.txt": _text(30000, 0), "b.txt": _text(9000, 1)}, sequence_length=50)
  vocabulary = CharVocabulary.from_counts(corpus.character_counts["train"], max_size=12)  # some characters unknown
  for split in data_lib.SPLIT_NAMES:
    windows = corpus.windows(split, vocabulary, 50)
    assert windows.element_spec == (tf.TensorSpec((50,), tf.int32), tf.TensorSpec((50,), tf.int64))
    inputs, targets = _reference_windows(list(corpus.texts(split)), vocabulary, 50)
    streamed = list(windows.as_numpy_iterator())
    assert len(streamed) == len(inputs) == corpus.num_windows(split, 50) > 0
    np.testing.assert_array_equal(np.stack([pair[0] for pair in streamed]), inputs)
    np.testing.assert_array_equal(np.stack([pair[1] for pair in streamed]), targets)
    assert UNKNOWN in inputs
  blocks = [len(block) for split in data_lib.SPLIT_NAMES for block in corpus.texts(split)]
  assert sum(blocks) == 39000 == sum(corpus.num_characters.values())
  assert {split: list(lengths) for split, lengths in corpus.block_lengths.items()} == {
      split: [len(block) for block in corpus.texts(split)] for split in data_lib.SPLIT_NAMES}


def test_character_counts_and_excerpts_are_those_of_the_text(tmp_path):
  corpus = _corpus(tmp_path, {"a.txt": _text(20000, 2)}, sequence_length=32)
  for split in data_lib.SPLIT_NAMES:
    text = "".join(corpus.texts(split))
    counts = {character: text.count(character) for character in set(text)}
    assert corpus.character_counts[split] == counts
  text = "".join(corpus.texts("train"))
  spans = [(0, 10), (4000, 300), (len(text) - 5, 5), (4090, 20)]  # the last one spans two blocks
  assert corpus.excerpts("train", spans) == [text[start:start + length] for start, length in spans]


def test_an_empty_validation_split_reads_as_empty(tmp_path):
  corpus = _corpus(tmp_path, {"a.txt": _text(20000, 3)}, sequence_length=32, validation_fraction=0.0)
  assert corpus.num_characters["validation"] == corpus.num_files("validation") == 0
  assert corpus.num_windows("validation", 32) == 0
  vocabulary = CharVocabulary.from_counts(corpus.character_counts["train"], max_size=100)
  assert not list(corpus.windows("validation", vocabulary, 32))


def test_input_pipelines_read_disjoint_blocks_that_make_the_whole_split(tmp_path, monkeypatch):
  # Shards of 16 KiB, so that a small corpus has several files.
  monkeypatch.setattr(split_carving_builder, "MIN_SHARD_BYTES", 8 << 10)
  monkeypatch.setattr(split_carving_builder, "MAX_SHARD_BYTES", 16 << 10)
  corpus = _corpus(tmp_path, {"a.txt": _text(200000, 4)}, sequence_length=64)
  assert corpus.num_files("train") >= 4
  everything = sorted(corpus.texts("train"))
  seen = []
  for pipeline in range(2):
    context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline)
    seen.append([text.decode() for text in corpus.blocks("train", shuffle_seed=5, input_context=context)
                 .as_numpy_iterator()])
  assert seen[0] and seen[1]
  assert not set(seen[0]) & set(seen[1])
  assert sorted(seen[0] + seen[1]) == everything


def test_unknown_split():
  corpus = data_lib.load_corpus(DataConfig(dataset="novels"))
  with pytest.raises(KeyError, match="Unknown split 'dev'"):
    corpus.blocks("dev")
