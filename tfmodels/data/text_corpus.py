"""Plain text for language models, split into train, validation and test by contiguous blocks.

A language model is trained on windows of consecutive characters. Splitting at random windows would put
overlapping text into training and test, so the text is split coarser: every document is cut into blocks of
`block_size` characters (the last, shorter piece of a document joins the block before it, so a block holds up to
`2 * block_size - 1` characters), and whole blocks go to the splits. Windows are cut inside blocks only
(`lm_windows.make_windows`), so no window crosses from one split into another.

`block_size` is `BLOCK_SIZE` (4096), or `MIN_WINDOWS_PER_BLOCK` windows of `sequence_length + 1` characters when
that is longer: with the usual sequence lengths the split does not depend on the model's settings, so runs with
different settings are scored on the same test text. A text too small to give every split a block is cut into
smaller blocks, halving down to a single window, before it is rejected.

Blocks are assigned with `DataConfig.split_seed`: a seeded permutation of all blocks gives the first
`round(test_fraction * n)` to test, the next `round(validation_fraction * n)` to validation and the rest to train;
every split with a fraction above 0 gets at least one block, and train always does. Within a split, blocks keep
their document order. Documents shorter than one window give no block (a warning names how many).
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses

from absl import logging
import numpy as np

from tfmodels.config import DataConfig
from tfmodels.data.data_error import DataError

BLOCK_SIZE = 4096
MIN_WINDOWS_PER_BLOCK = 4
SPLIT_NAMES = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True)
class TextCorpus:
  """A text corpus split into contiguous blocks.

  Attributes:
    name: the data set name, as in `DataConfig.dataset` (`novels`, `text:PATH`).
    documents: the name of each document read (a title, or a file path relative to the given folder), in order.
    splits: `train`, `validation` and `test`, each a tuple of blocks of text in document order (validation is empty
      when `validation_fraction` is 0).
    num_characters: characters per split.
    block_size: characters per block used for the split (the last block of a document may be longer).
  """

  name: str
  documents: tuple[str, ...]
  splits: dict[str, tuple[str, ...]]
  num_characters: dict[str, int]
  block_size: int

  @classmethod
  def from_documents(cls, name: str, documents: Sequence[tuple[str, str]], config: DataConfig) -> TextCorpus:
    """Splits documents into blocks and the blocks into train, validation and test (see the module docstring).

    Args:
      name: the data set name, used in messages.
      documents: `(document name, text)` pairs, in order.
      config: `sequence_length`, `validation_fraction`, `test_fraction` and `split_seed` are used.

    Returns:
      The corpus.

    Raises:
      DataError: the text cannot give every split one window of `sequence_length + 1` characters.
    """
    window = config.sequence_length + 1
    fractions = {"test": config.test_fraction, "validation": config.validation_fraction}
    needed_blocks = 1 + sum(fraction > 0 for fraction in fractions.values())
    lengths = np.array([len(text) for _, text in documents], np.int64)
    short = int(np.count_nonzero(lengths < window))
    if short:
      logging.warning("%s: %d of %d document(s) are shorter than one window of %d characters and are left out.",
                      name, short, len(documents), window)

    block_size = max(BLOCK_SIZE, MIN_WINDOWS_PER_BLOCK * window)
    while _count_blocks(lengths, block_size, window) < needed_blocks and block_size > window:
      block_size = max(window, block_size // 2)
    if _count_blocks(lengths, block_size, window) < needed_blocks:
      raise DataError(_too_small_message(name, lengths, config.sequence_length, needed_blocks))

    blocks = [text[start:end] for (_, text), length in zip(documents, lengths.tolist()) if length >= window
              for start, end in _block_bounds(length, block_size)]
    count = len(blocks)
    counts = {split: max(1, round(fraction * count)) if fraction > 0 else 0 for split, fraction in fractions.items()}
    while sum(counts.values()) > count - 1:  # Leave train at least one block: shrink the larger carved split.
      counts[max(counts, key=lambda split: (counts[split], split))] -= 1
    order = np.random.default_rng(config.split_seed).permutation(count)
    assigned, start = {}, 0
    for split in ("test", "validation"):
      assigned[split] = order[start:start + counts[split]]
      start += counts[split]
    assigned["train"] = order[start:]
    splits = {split: tuple(blocks[index] for index in np.sort(assigned[split])) for split in SPLIT_NAMES}
    num_characters = {split: sum(map(len, texts)) for split, texts in splits.items()}
    logging.info("%s: %d document(s), %d characters in blocks of %d: %s.", name, len(documents),
                 int(lengths.sum()), block_size,
                 ", ".join(f"{split} {num_characters[split]} ({len(splits[split])} blocks)" for split in SPLIT_NAMES))
    return cls(name=name, documents=tuple(document for document, _ in documents), splits=splits,
               num_characters=num_characters, block_size=block_size)


def _block_bounds(length: int, block_size: int) -> list[tuple[int, int]]:
  """`(start, end)` of each block of a document; the short tail joins the last full block."""
  count = max(1, length // block_size)
  starts = [index * block_size for index in range(count)]
  return list(zip(starts, starts[1:] + [length]))


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
