"""TFDS builder that writes a text corpus as its blocks: one record per block, each split in document order.

Every language-model corpus (`novels`, `text:PATH`, a `tfds:NAME` set of texts without labels) is prepared by this
builder, so training reads it as a stream of blocks and never holds it whole (`text_corpus.TextCorpus`). The blocks
and their splits are planned beforehand from the document lengths (`block_plan.BlockPlan`); the source is read once
per split, one block at a time. The split's block lengths and character counts go into the data set's metadata
(`metadata.json`), so the number of windows and the character vocabulary are known without reading the records.

The split parameters and the window length are part of the builder config's name (`corpus_config`): a corpus
prepared with other fractions, another seed or another window length lives beside it.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
import dataclasses

import tensorflow_datasets as tfds

from tfmodels.config import DataConfig
from tfmodels.data.block_plan import SPLIT_NAMES, BlockPlan
from tfmodels.data.builders.split_carving_builder import CarvingConfig, carving_config


@dataclasses.dataclass(eq=False)
class CorpusConfig(CarvingConfig):
  """How the corpus is split; the name encodes the fields (see `corpus_config`).

  Attributes:
    sequence_length: the model's window is `sequence_length + 1` characters; it decides the smallest block and
      which documents are too short to use.
  """

  sequence_length: int = 128


def corpus_config(config: DataConfig, fingerprint: str) -> CorpusConfig:
  """The config for the split parameters and window length of `config`, and the source's `fingerprint`."""
  carving = carving_config(config.validation_fraction, config.test_fraction, config.split_seed)
  return CorpusConfig(name=f"{carving.name}_len{config.sequence_length}_{fingerprint}",
                      validation_fraction=config.validation_fraction, test_fraction=config.test_fraction,
                      split_seed=config.split_seed, sequence_length=config.sequence_length)


@dataclasses.dataclass(frozen=True)
class CorpusSource:
  """What the builder writes.

  Attributes:
    name: the data set as named in `DataConfig.dataset`.
    document_names: the name of every document, in order.
    plan: the blocks of the documents and their splits.
    documents: each call reads the source again and yields every document as pieces of text, in order.
  """

  name: str
  document_names: tuple[str, ...]
  plan: BlockPlan
  documents: Callable[[], Iterator[Iterable[str]]]


class TextCorpusBlocks(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """The blocks of a text corpus, one `text` record each (see the module docstring)."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release."}

  def __init__(self, *, source: CorpusSource, config: CorpusConfig, **kwargs):
    self._source = source
    super().__init__(config=config, **kwargs)

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=f"The text of {self._source.name} in blocks of about {self._source.plan.block_size} characters.",
        features=tfds.features.FeaturesDict({"text": tfds.features.Text()}),
        disable_shuffling=True,  # blocks are written in document order
        metadata=tfds.core.MetadataDict())

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    del dl_manager  # The source is read by `CorpusSource.documents`.
    self.info.metadata.update(name=self._source.name, block_size=self._source.plan.block_size,
                              documents=list(self._source.document_names))
    # TFDS cannot write a split without examples (a fraction of 0): such a split is left out and reads as empty.
    return {split: self._generate_examples(split) for split in SPLIT_NAMES if self._source.plan.num_blocks(split)}

  def _generate_examples(self, split: str):
    characters = collections.Counter()
    lengths = []
    for block_split, text in self._source.plan.blocks(self._source.documents()):
      if block_split == split:
        characters.update(text)
        lengths.append(len(text))
        yield len(lengths) - 1, {"text": text}
    self.info.metadata[split] = {"block_lengths": lengths, "character_counts": dict(characters)}
