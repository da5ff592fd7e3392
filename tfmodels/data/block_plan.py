"""How a text corpus is split into train, validation and test: by contiguous blocks of characters.

A language model is trained on windows of consecutive characters. Splitting at random windows would put
overlapping text into training and test, so the text is split coarser: every document is cut into blocks of
`block_size` characters (the last, shorter piece of a document joins the block before it, so a block holds up to
`2 * block_size - 1` characters), and whole blocks go to the splits. Windows are cut inside blocks only
(`text_corpus.TextCorpus.windows`), so no window crosses from one split into another.

`block_size` is `BLOCK_SIZE` (4096), or `MIN_WINDOWS_PER_BLOCK` windows of `sequence_length + 1` characters when
that is longer: with the usual sequence lengths the split does not depend on the model's settings, so runs with
different settings are scored on the same test text. A text too small to give every split a block is cut into
smaller blocks, halving down to a single window, before it is rejected.

Blocks are assigned with `DataConfig.split_seed`: a seeded permutation of all blocks gives the first
`round(test_fraction * n)` to test, the next `round(validation_fraction * n)` to validation and the rest to train;
every split with a fraction above 0 gets at least one block, and train always does. Within a split, blocks keep
their document order. Documents shorter than one window give no block (a warning names how many).

The plan needs only the length of each document, so a corpus of any size is planned in one pass that counts
characters, and cut in another (`BlockPlan.blocks`) that holds one block at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
import dataclasses

from absl import logging
import numpy as np

from tfmodels.config import DataConfig
from tfmodels.data.data_error import DataError

BLOCK_SIZE = 4096
MIN_WINDOWS_PER_BLOCK = 4
SPLIT_NAMES = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True)
class BlockPlan:
  """Where every block of a corpus starts and ends, and which split it goes to.

  Attributes:
    block_size: characters per block (the last block of a document may be longer).
    bounds: for each document, the `(start, end)` character offsets of its blocks (none for a document shorter than
      one window).
    block_splits: the split of every block, blocks in document order.
  """

  block_size: int
  bounds: tuple[tuple[tuple[int, int], ...], ...]
  block_splits: tuple[str, ...]

  @classmethod
  def from_lengths(cls, name: str, lengths: Sequence[int], config: DataConfig) -> BlockPlan:
    """Plans the blocks of documents of these lengths (see the module docstring).

    Args:
      name: the data set name, used in messages.
      lengths: characters of each document, in order.
      config: `sequence_length`, `validation_fraction`, `test_fraction` and `split_seed` are used.

    Raises:
      DataError: the text cannot give every split one window of `sequence_length + 1` characters.
    """
    window = config.sequence_length + 1
    fractions = {"test": config.test_fraction, "validation": config.validation_fraction}
    needed_blocks = 1 + sum(fraction > 0 for fraction in fractions.values())
    lengths = np.asarray(lengths, np.int64).reshape(-1)
    short = int(np.count_nonzero(lengths < window))
    if short:
      logging.warning("%s: %d of %d document(s) are shorter than one window of %d characters and are left out.",
                      name, short, len(lengths), window)

    block_size = max(BLOCK_SIZE, MIN_WINDOWS_PER_BLOCK * window)
    while _count_blocks(lengths, block_size, window) < needed_blocks and block_size > window:
      block_size = max(window, block_size // 2)
    if _count_blocks(lengths, block_size, window) < needed_blocks:
      raise DataError(_too_small_message(name, lengths, config.sequence_length, needed_blocks))

    bounds = tuple(_block_bounds(length, block_size) if length >= window else () for length in lengths.tolist())
    count = sum(map(len, bounds))
    counts = {split: max(1, round(fraction * count)) if fraction > 0 else 0 for split, fraction in fractions.items()}
    while sum(counts.values()) > count - 1:  # Leave train at least one block: shrink the larger carved split.
      counts[max(counts, key=lambda split: (counts[split], split))] -= 1
    order = np.random.default_rng(config.split_seed).permutation(count)
    block_splits = np.full(count, "train", dtype=object)
    start = 0
    for split in ("test", "validation"):
      block_splits[order[start:start + counts[split]]] = split
      start += counts[split]
    return cls(block_size=block_size, bounds=bounds, block_splits=tuple(block_splits.tolist()))

  def num_blocks(self, split: str) -> int:
    """Blocks of `split`."""
    return self.block_splits.count(split)

  def blocks(self, documents: Iterable[Iterable[str]]) -> Iterator[tuple[str, str]]:
    """Cuts the documents into their blocks; yields `(split, block text)` for every block, in document order.

    Args:
      documents: each document as pieces of text in order (of any size), the documents in the order they were
        planned in; only the current block and one piece are held at a time.

    Raises:
      DataError: a document is shorter than when it was planned (it changed while being read).
    """
    splits = iter(self.block_splits)
    planned = 0
    for document_bounds, pieces in zip(self.bounds, documents):
      planned += 1
      if not document_bounds:
        continue
      last, index = len(document_bounds) - 1, 0
      # `text` holds the document from character `offset` on; the current block starts at `text[cursor]`.
      text, offset, cursor = "", 0, 0
      for piece in pieces:
        text, offset, cursor = text[cursor:] + piece, offset + cursor, 0
        while index < last and offset + len(text) >= document_bounds[index][1]:
          end = document_bounds[index][1]
          yield next(splits), text[cursor:end - offset]
          cursor, index = end - offset, index + 1
      # The last block ends where the document does, so it is whole only once the document is.
      length = offset + len(text)
      if index != last or length != document_bounds[last][1]:
        raise DataError(f"A document holds {length} characters where {document_bounds[-1][1]} were counted: it "
                        "changed while it was read. Keep the data unchanged while it is prepared, then retry.")
      yield next(splits), text[cursor:]
    if planned != len(self.bounds):
      raise DataError(f"{planned} documents were read where {len(self.bounds)} were counted: the data changed while "
                      "it was read. Keep it unchanged while it is prepared, then retry.")


def _block_bounds(length: int, block_size: int) -> tuple[tuple[int, int], ...]:
  """`(start, end)` of each block of a document; the short tail joins the last full block."""
  count = max(1, length // block_size)
  starts = [index * block_size for index in range(count)]
  return tuple(zip(starts, starts[1:] + [length]))


def _count_blocks(lengths: np.ndarray, block_size: int, window: int) -> int:
  usable = lengths[lengths >= window]
  return int(np.maximum(1, usable // block_size).sum())


def _too_small_message(name: str, lengths: np.ndarray, sequence_length: int, needed_blocks: int) -> str:
  window = sequence_length + 1
  splits = "train, validation and test" if needed_blocks == 3 else "train and test"
  total = int(lengths.sum())
  usable = int(lengths[lengths >= window].sum())
  where = ""
  if len(lengths) > 1 and usable != total:
    where = f" ({usable:,} of them in documents of at least {window} characters)"
  message = (f"{name} has {total:,} characters{where}, too few to give {splits} one window of {window} characters "
             f"each (data.sequence_length + 1; windows never span two documents): that needs at least "
             f"{needed_blocks * window:,} characters.")
  shorter = next((length for length in range(sequence_length - 1, 0, -1)
                  if np.sum(lengths // (length + 1)) >= needed_blocks), 0)
  if shorter:
    return message + f" Use shorter windows, e.g. --params=data.sequence_length={shorter}, or more text."
  return message + " Add more text."
