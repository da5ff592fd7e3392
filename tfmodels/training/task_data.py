"""What the trainer needs of a data set, whatever the task: classification or language modelling."""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
from typing import Any

import tensorflow as tf

from tfmodels.data import record_reading

# Splits worth keeping in memory: they are read in every epoch. The test split is read once, at the end.
CACHED_SPLITS = ("validation", "train")

Reader = Callable[[str, "int | None", "tf.distribute.InputContext | None"], tf.data.Dataset]


@dataclasses.dataclass(frozen=True)
class TaskData:
  """A data set turned into model inputs and targets, read as streams.

  Attributes:
    kind: `image`, `text` (classification) or `corpus` (language modelling).
    num_examples: examples (images, texts or windows) in each split.
    model_args: keyword arguments of `build_model` besides the model config (`num_classes`, `feature_shape`,
      `vocab_size`, `sequence_length`).
    description: what `dataset.json` records of the data.
    reader: `(split, file shuffle seed or None, input context or None)` -> an unbatched `tf.data.Dataset` of the
      split's records, streamed: with a seed, the files in a seeded order; with an input context, only that
      pipeline's files. Each record is an example's `(inputs, targets)` (a class id per example for a classifier,
      the next token id at each position for a language model), or, where `decode` is given, what it decodes.
    num_files: the record files each split is read from (a pipeline can read its own files only when there are at
      least as many as pipelines).
    input_bytes: bytes of one example's model inputs and targets, for the memory budget.
    cache_budget_bytes: the train and validation splits are held in memory after their first pass while together
      they fit (validation first); others are streamed in every epoch.
    chosen: settings the data chose, as config overrides (`data.sequence_length` from the texts' lengths when it
      is 0); the run records them in its config.json.
    test_figures: returns figures for `evaluation.json` that the task adds to the loss and accuracy, given the test
      loss (e.g. perplexities).
    decode: a batch of records -> the batch's `(inputs, targets)`; None = the records are `(inputs, targets)`.
      Records are shuffled and batched before they are decoded (serialized examples decode much faster a batch at
      a time, and the shuffle buffer then fills with bytes read, not with examples decoded).
  """

  kind: str
  num_examples: dict[str, int]
  model_args: dict[str, Any]
  description: dict[str, Any]
  reader: Reader
  num_files: dict[str, int]
  input_bytes: int
  cache_budget_bytes: int
  chosen: dict[str, str] = dataclasses.field(default_factory=dict)
  test_figures: Callable[[float], dict[str, Any]] = lambda loss: {}
  decode: Callable[[Any], tuple[tf.Tensor, tf.Tensor]] | None = None
  _cache: dict[str, tf.data.Dataset] = dataclasses.field(default_factory=dict, repr=False, compare=False)

  @property
  def cached_splits(self) -> tuple[str, ...]:
    """The splits held in memory (see `cache_budget_bytes`)."""
    chosen, used = [], 0
    for split in (split for split in CACHED_SPLITS if split in self.num_examples):
      size = self.num_examples[split] * self.input_bytes
      if used + size <= self.cache_budget_bytes:
        chosen.append(split)
        used += size
    return tuple(chosen)

  @property
  def splits(self) -> dict[str, tf.data.Dataset]:
    """Every split, whole and in record order (held in memory where the budget allows)."""
    return {split: self.dataset(split) for split in self.num_examples}

  def can_read_own_files(self, split: str, input_context: tf.distribute.InputContext) -> bool:
    """Whether each of the context's pipelines can read only its own files of `split`: the split is streamed (not
    held in memory) and has at least as many files as there are pipelines."""
    return (input_context.num_input_pipelines > 1 and split not in self.cached_splits
            and self.num_files[split] >= input_context.num_input_pipelines)

  def dataset(self, split: str, shuffle_seed: int | None = None,
              input_context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
    """`split` as unbatched `(inputs, targets)` (see `records`)."""
    examples, decode = self.records(split, shuffle_seed, input_context)
    return examples if decode is None else record_reading.decoded(examples, decode)

  def records(self, split: str, shuffle_seed: int | None = None, input_context: tf.distribute.InputContext | None = None
              ) -> tuple[tf.data.Dataset, Callable[[Any], tuple[tf.Tensor, tf.Tensor]] | None]:
    """`split` as unbatched records and the function that decodes a batch of them (None: the records are
    `(inputs, targets)` already): from memory when cached (decoded, filled by the first pass; `shuffle_seed` then
    does not apply), else streamed (see `reader`); given an `input_context` (see `can_read_own_files`), only that
    pipeline's files."""
    if split in self.cached_splits:
      if split not in self._cache:
        records = self.reader(split, None, None)
        self._cache[split] = (records if self.decode is None else record_reading.decoded(records, self.decode)).cache()
      return self._cache[split], None
    return self.reader(split, shuffle_seed, input_context), self.decode

