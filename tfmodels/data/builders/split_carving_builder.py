"""A TFDS builder that writes train, validation and test records, carving the splits its source lacks.

Every data set that the project prepares itself (digits, fashion_mnist, rotten_tomatoes, `images:DIR`, `csv:PATH`)
is a subclass. A subclass lists its source splits with the label of every example (`SourceSplit`); labels are cheap
to know before any pixel is decoded (folder names, a CSV column, a label file). The missing validation and test
splits are then carved class by class with `splits.stratified_split`, and each split's examples are generated and
written once, in a fixed order (TFDS's own shuffling is off, `disable_shuffling=True`): the training split and the
carved ones in the seeded random order `stratified_split` gives them, so none arrives sorted by class; a split the
source has in its `read_order`. Records are read back in the order they were written, so the same source always
gives the same records in the same order, which is what the in-memory data layer of earlier versions gave.

The split parameters are part of the builder config's name (`CarvingConfig`), so data prepared with other fractions
or another seed lives beside it instead of being mistaken for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
import dataclasses
from typing import Any

import numpy as np
import tensorflow_datasets as tfds
from tensorflow_datasets.core import hashing
from tensorflow_datasets.core.utils import shard_utils

from tfmodels.data import splits

SPLIT_NAMES = ("train", "validation", "test")
# Shards of a few MiB: enough files for each worker of a cluster to read its own, few enough to open quickly.
MIN_SHARD_BYTES = 4 << 20
MAX_SHARD_BYTES = 64 << 20


@dataclasses.dataclass(eq=False)
class CarvingConfig(tfds.core.BuilderConfig):
  """How the missing splits are carved; the name encodes the fields (see `carving_config`).

  Attributes:
    validation_fraction: share of the training examples of each class carved for validation.
    test_fraction: share of the training examples of each class carved for testing.
    split_seed: seed of the stratified split.
  """

  validation_fraction: float = 0.1
  test_fraction: float = 0.2
  split_seed: int = 0


def carving_config(validation_fraction: float, test_fraction: float, split_seed: int,
                   fingerprint: str = "") -> CarvingConfig:
  """The config for these split parameters; `fingerprint` (of the source files) is added to the name when given."""
  name = f"val{validation_fraction:g}_test{test_fraction:g}_seed{split_seed}".replace(".", "p").replace("-", "m")
  return CarvingConfig(name=f"{name}_{fingerprint}" if fingerprint else name, validation_fraction=validation_fraction,
                       test_fraction=test_fraction, split_seed=split_seed)


@dataclasses.dataclass(frozen=True)
class SourceSplit:
  """One split as the source has it.

  Attributes:
    labels: the class id of every example, in the source's order.
    examples: given source indices (in any order), yields the TFDS example of each, in that order.
    read_order: the order of the source indices in which the examples were read by the in-memory data layer of
      earlier versions (None = source order): the missing splits are carved, and a split the source has is written,
      in this order.
  """

  labels: np.ndarray
  examples: Callable[[np.ndarray], Iterator[dict[str, Any]]]
  read_order: np.ndarray | None = None

  def order(self) -> np.ndarray:
    return self.read_order if self.read_order is not None else np.arange(len(self.labels))


def record_order(keys: Iterable[int], split: str = "train") -> np.ndarray:
  """Positions of `keys` in the order TFDS writes examples with these keys into one shard of `split` when it
  shuffles (sorted by the key's hash, salted with the split name).

  The built-in sets were first prepared as their source splits and read back into memory in this order; carving and
  writing in the same order keeps their splits, and the order of their examples, what they were.
  """
  hasher = hashing.Hasher(split)
  keys = list(keys)
  return np.array(sorted(range(len(keys)), key=lambda position: hasher.hash_key(keys[position])), np.int64)


class SplitCarvingBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """Base of the project's builders: subclasses implement `_info` and `_source_splits`."""

  def __init__(self, *, config: CarvingConfig | None = None, **kwargs):
    super().__init__(config=config or carving_config(0.1, 0.2, 0), **kwargs)

  def _source_splits(self, dl_manager: tfds.download.DownloadManager) -> dict[str, SourceSplit]:
    """The splits the source has (`train` required, `validation` and `test` optional)."""
    raise NotImplementedError

  def label_names(self) -> tuple[str, ...]:
    return tuple(self.info.features[self.info.supervised_keys[1]].names)

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    config: CarvingConfig = self.builder_config
    source = self._source_splits(dl_manager)
    fractions = {name: fraction for name, fraction in (("validation", config.validation_fraction),
                                                       ("test", config.test_fraction)) if name not in source}
    order = source["train"].order()
    carved = {name: order[indices] for name, indices in splits.stratified_split(
        source["train"].labels[order], fractions, config.split_seed, self.label_names()).items()}
    chosen = {name: (source[name], source[name].order()) for name in source if name != "train"}
    chosen.update({name: (source["train"], indices) for name, indices in carved.items()})
    # TFDS cannot write a split without examples (a fraction of 0): such a split is left out and reads as empty.
    return {name: self._generate_examples(*chosen[name]) for name in SPLIT_NAMES if len(chosen[name][1])}

  def _generate_examples(self, source: SourceSplit, indices: np.ndarray) -> Iterable[tuple[int, dict[str, Any]]]:
    # With TFDS's shuffling off, records are written in the order of their keys: the position in `indices`.
    return enumerate(source.examples(indices))


def download_config(manual_dir: str | None = None) -> tfds.download.DownloadConfig:
  """Preparation settings of every builder of the project: shards of `MIN_SHARD_BYTES`..`MAX_SHARD_BYTES`."""
  return _ShardSizeDownloadConfig(manual_dir=manual_dir, min_shard_size=MIN_SHARD_BYTES,
                                  max_shard_size=MAX_SHARD_BYTES)


class _ShardSizes(shard_utils.ShardConfig):
  """A shard config whose shard count follows its own size bounds.

  TFDS computes the count in a classmethod that reads the class's default bounds (64 MiB to 1 GiB) whatever the
  instance holds, so `DownloadConfig(min_shard_size=..., max_shard_size=...)` alone changes nothing; the count is
  computed here with the instance's bounds, by TFDS's own rule.
  """

  def get_number_shards(self, total_size: int, num_examples: int, uses_precise_sharding: bool = True) -> int:
    if self.num_shards:
      return self.num_shards
    bounds = type("Bounds", (shard_utils.ShardConfig,), {"min_shard_size": self.min_shard_size,
                                                         "max_shard_size": self.max_shard_size})
    return bounds.calculate_number_shards(total_size, num_examples, uses_precise_sharding)


class _ShardSizeDownloadConfig(tfds.download.DownloadConfig):
  """A download config that hands the writer `_ShardSizes`."""

  def get_shard_config(self) -> shard_utils.ShardConfig:
    return _ShardSizes(num_shards=self.num_shards, min_shard_size=self.min_shard_size,
                       max_shard_size=self.max_shard_size)
