"""The held-out examples an export is verified on, read in chunks so that memory does not grow with the test split."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np

from tfmodels.data.loaded_dataset import LoadedDataset

# Test examples read, preprocessed and run at a time. A multiple of the batches the exporters run Keras (512, 256 for
# language models) and the SavedModel signatures (256) at, so a chunk is whole batches: the same batches, and so the
# same figures, as one pass over all examples.
CHUNK_SIZE = 512

# Per-example results of one chunk: an array, or arrays by name (a serving signature's outputs).
ChunkResult = np.ndarray | Mapping[str, np.ndarray]


class VerificationSet:
  """The test examples every exported artifact is run on, read again, chunk by chunk, each time it is iterated.

  A test split may be larger than memory, and every artifact runs on all of it. So the set keeps whole only what is
  small per example, the labels, and iterating it reads the examples again from their source: `(features, inputs)`
  chunks of at most `chunk_size` examples, always in the labels' order. `features` are the raw examples (uint8
  pixels, texts as bytes, token-id windows), `inputs` the model inputs preprocessed from them. A source that gives
  other labels, a larger chunk or another number of examples on a later pass raises `ValueError`, so figures never
  pair an artifact's outputs with the wrong labels.

  Build one with `from_split` (a data set's split, streamed), or from any re-readable source of batches (the
  language-model exporter streams its windows).

  Args:
    batches: returns a fresh iterable of `(features, labels)` numpy batches of at most `chunk_size` examples, in the
      same order on every call.
    preprocess: the model inputs of a batch of raw features.
    num_examples: the examples `batches` gives.
    available: the test examples of the split (more than `num_examples` when verification is capped).
    dataset_name: the data set the examples come from, as the report names it.
    chunk_size: the largest chunk.
    labels: the labels of all examples when they are known already; else they are read in one pass when first asked.
  """

  def __init__(self, batches: Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]],
               preprocess: Callable[[np.ndarray], object], num_examples: int, available: int, dataset_name: str,
               chunk_size: int = CHUNK_SIZE, labels: np.ndarray | None = None):
    if chunk_size < 1:
      raise ValueError(f"chunk_size={chunk_size}: give at least 1.")
    self.batches = batches
    self.preprocess = preprocess
    self.num_examples = num_examples
    self.available = available
    self.dataset_name = dataset_name
    self.chunk_size = chunk_size
    self._labels = None if labels is None else np.asarray(labels, np.int64)

  @classmethod
  def from_split(cls, dataset: LoadedDataset, split: str, preprocess: Callable[[np.ndarray], object],
                 limit: int | None = None, chunk_size: int = CHUNK_SIZE) -> VerificationSet:
    """The first `limit` examples of `split` (all when None), streamed in record order (`LoadedDataset.read`)."""
    available = dataset.num_examples[split]
    count = available if limit is None else min(available, limit)

    def batches() -> Iterable[tuple[np.ndarray, np.ndarray]]:
      return dataset.read(split).take(count).batch(chunk_size).as_numpy_iterator()

    return cls(batches, preprocess, count, available, dataset.name, chunk_size)

  @property
  def labels(self) -> np.ndarray:
    """int64 `(num_examples,)`, in the order of the chunks."""
    if self._labels is None:
      parts = [np.asarray(labels, np.int64) for _, labels in self.batches()]
      self._labels = np.concatenate(parts) if parts else np.zeros((0,), np.int64)
      if len(self._labels) != self.num_examples:
        raise ValueError(f"The test examples of {self.dataset_name} gave {len(self._labels)} labels, "
                         f"{self.num_examples} were expected.")
    return self._labels

  def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Reads the examples again: `(features, inputs)` chunks, in order."""
    labels = self.labels
    offset = 0
    for features, chunk_labels in self.batches():
      count = len(chunk_labels)
      if count > self.chunk_size or not np.array_equal(chunk_labels, labels[offset:offset + count]):
        raise ValueError(f"The test examples of {self.dataset_name} changed between passes (at example {offset}): "
                         "verification needs them in the same order every time.")
      offset += count
      yield features, np.asarray(self.preprocess(features))
    if offset != self.num_examples:
      raise ValueError(f"The test examples of {self.dataset_name} gave {offset} examples on a later pass, "
                       f"{self.num_examples} on the first.")

  def collect(self, function: Callable[[np.ndarray, np.ndarray], ChunkResult]) -> ChunkResult:
    """Runs `function(features, inputs)` on every chunk and joins its per-example results in order.

    `function` returns an array whose first axis is the chunk's examples, or such arrays by name; so does `collect`,
    for all examples. Only these results are held for the whole set, never its features.
    """
    parts = [function(features, inputs) for features, inputs in self]
    if not parts:
      raise ValueError(f"The test examples of {self.dataset_name} are empty: there is nothing to verify on.")
    if isinstance(parts[0], Mapping):
      return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    return np.concatenate(parts)

  def head(self, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` examples (all, when there are fewer) as `(features, inputs)`, read from the first chunks."""
    features, inputs = [], []
    taken = 0
    for chunk_features, chunk_inputs in self:
      features.append(chunk_features[:count - taken])
      inputs.append(chunk_inputs[:count - taken])
      taken += len(features[-1])
      if taken >= count:
        break
    if not features:
      raise ValueError(f"The test examples of {self.dataset_name} are empty.")
    return np.concatenate(features), np.concatenate(inputs)
