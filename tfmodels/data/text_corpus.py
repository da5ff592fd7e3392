"""A text corpus for the language models, prepared as TFDS records of blocks and read as streams.

The corpus is split by contiguous blocks (`block_plan.py`) and written one record per block
(`builders/text_corpus_blocks.py`). Reading never holds it whole: `blocks` streams a split's blocks in document
order, and `windows` turns them into next-token training pairs inside tf.data, tokenizing each block and cutting it
into windows of `sequence_length + 1` characters.

A window's first `sequence_length` ids are the input and its last `sequence_length` ids the targets (the input
shifted by one). Windows of a block start at 0 and every `sequence_length` ids after, so each window begins with the
last id of the one before and every pair of neighbouring ids in a block is a target exactly once (apart from the
block's tail that no full window reaches). No window crosses a block boundary, which keeps the splits apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import dataclasses

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from edge.char_vocabulary import UNKNOWN, CharVocabulary
from tfmodels.data import record_reading
from tfmodels.data.block_plan import SPLIT_NAMES


@dataclasses.dataclass(frozen=True)
class TextCorpus:
  """A prepared text corpus split into contiguous blocks.

  Attributes:
    name: the data set name, as in `DataConfig.dataset` (`novels`, `text:PATH`, `tfds:NAME`).
    documents: the name of each document read (a title, or a file path relative to the given folder), in order.
    block_size: characters per block used for the split (the last block of a document may be longer).
    block_lengths: the characters of every block of each split, in order.
    character_counts: how often each character occurs in each split.
    builder: the prepared TFDS builder the blocks are read with.
  """

  name: str
  documents: tuple[str, ...]
  block_size: int
  block_lengths: dict[str, np.ndarray]
  character_counts: dict[str, dict[str, int]]
  builder: tfds.core.DatasetBuilder

  @classmethod
  def from_prepared(cls, builder: tfds.core.DatasetBuilder) -> TextCorpus:
    """The corpus of a builder prepared by `TextCorpusBlocks`, described by its metadata."""
    metadata = builder.info.metadata
    empty = {"block_lengths": [], "character_counts": {}}
    splits = {split: metadata.get(split, empty) for split in SPLIT_NAMES}
    return cls(name=metadata["name"], documents=tuple(metadata["documents"]), block_size=int(metadata["block_size"]),
               block_lengths={split: np.asarray(value["block_lengths"], np.int64) for split, value in splits.items()},
               character_counts={split: dict(value["character_counts"]) for split, value in splits.items()},
               builder=builder)

  @property
  def num_characters(self) -> dict[str, int]:
    """Characters per split."""
    return {split: int(lengths.sum()) for split, lengths in self.block_lengths.items()}

  def num_windows(self, split: str, sequence_length: int) -> int:
    """Windows of `sequence_length + 1` characters that `windows` cuts from `split`."""
    lengths = self.block_lengths[split]
    usable = lengths[lengths > sequence_length]
    return int(np.sum((usable - sequence_length - 1) // sequence_length + 1))

  def num_files(self, split: str) -> int:
    """Record files that `split` is read from (0 for an empty split)."""
    return record_reading.num_files(self.builder, split) if split in self.builder.info.splits else 0

  def blocks(self, split: str, *, shuffle_seed: int | None = None,
             input_context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
    """Streams the blocks of `split` as `tf.string` scalars: in document order, or with a `shuffle_seed` with the
    record files in a seeded order; with an `input_context`, only that pipeline's files (see
    `record_reading.read_records`)."""
    if split not in SPLIT_NAMES:
      raise KeyError(f"Unknown split '{split}': expected one of {', '.join(SPLIT_NAMES)}.")
    if split not in self.builder.info.splits:
      return tf.data.Dataset.from_tensor_slices(tf.constant([], tf.string))
    records = record_reading.read_records(self.builder, split, shuffle_seed=shuffle_seed, input_context=input_context)
    return records.map(lambda record: record["text"], num_parallel_calls=tf.data.AUTOTUNE)

  def texts(self, split: str) -> Iterator[str]:
    """The blocks of `split` as Python strings, in document order, one at a time."""
    for text in self.blocks(split).as_numpy_iterator():
      yield text.decode("utf-8")

  def excerpts(self, split: str, spans: Sequence[tuple[int, int]]) -> list[str]:
    """The text of `split` at each `(start, length)`, as if its blocks were one string; read in one pass."""
    pieces = [[] for _ in spans]
    offset = 0
    for text in self.texts(split):
      for piece, (start, length) in zip(pieces, spans):
        if start < offset + len(text) and offset < start + length:
          piece.append(text[max(start - offset, 0):start + length - offset])
      offset += len(text)
    return ["".join(piece) for piece in pieces]

  def windows(self, split: str, vocabulary: CharVocabulary, sequence_length: int, *,
              shuffle_seed: int | None = None,
              input_context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
    """Streams the next-token windows of `split` (see the module docstring).

    Returns:
      An unbatched dataset of `(inputs int32 (sequence_length,), targets int64 (sequence_length,))`, the windows of
      each block in order, blocks as `blocks` gives them. Targets are int64 as class labels are: the trainer's steps
      compare them with int64 argmaxes. Characters outside the vocabulary get `UNKNOWN`, as `vocabulary.encode`
      gives them.
    """
    table = character_table(vocabulary)
    width = sequence_length + 1

    def cut(text):
      ids = table.lookup(tf.cast(tf.strings.unicode_decode(text, "UTF-8"), tf.int64))
      return tf.signal.frame(ids, width, sequence_length, pad_end=False)  # (windows, sequence_length + 1)

    def pair(window):
      return tf.cast(window[:-1], tf.int32), window[1:]

    windows = self.blocks(split, shuffle_seed=shuffle_seed, input_context=input_context).map(
        cut, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    return windows.map(pair, num_parallel_calls=tf.data.AUTOTUNE)


def character_table(vocabulary: CharVocabulary) -> tf.lookup.StaticHashTable:
  """Maps a character's code point (int64) to its id in `vocabulary` (int64); others to `UNKNOWN`."""
  characters = vocabulary.tokens[2:]
  keys = tf.constant([ord(character) for character in characters], tf.int64)
  values = tf.range(2, 2 + len(characters), dtype=tf.int64)
  return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, values), default_value=UNKNOWN)
