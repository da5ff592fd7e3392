"""A data set split three ways, ready for a model."""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

SPLIT_NAMES = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True)
class LoadedDataset:
  """A labelled data set with train, validation and test splits.

  Attributes:
    name: the data set as named in `DataConfig.dataset`.
    kind: `image` or `text`.
    label_names: class names; label `i` is `label_names[i]`.
    splits: `train`, `validation` and `test`, each an unbatched `tf.data.Dataset` of `(feature, label)` with an
      `int64` scalar label. Image features are `uint8` `(H, W, C)` with a static shape; text features are raw
      `tf.string` scalars.
    num_examples: number of examples in each split.
    feature_shape: `(H, W, C)` for images, `()` for text.
  """

  name: str
  kind: str
  label_names: tuple[str, ...]
  splits: dict[str, tf.data.Dataset]
  num_examples: dict[str, int]
  feature_shape: tuple[int, ...]

  @property
  def num_classes(self) -> int:
    """Number of classes."""
    return len(self.label_names)

  @classmethod
  def from_arrays(cls, name: str, kind: str, label_names: tuple[str, ...],
                  arrays: dict[str, tuple[np.ndarray, np.ndarray]]) -> "LoadedDataset":
    """Builds the splits from in-memory `(features, labels)` arrays, one pair per split name."""
    splits, num_examples = {}, {}
    feature_shape: tuple[int, ...] = ()
    for split in SPLIT_NAMES:
      features, labels = arrays[split]
      if kind == "image":
        features = np.asarray(features, dtype=np.uint8)
        feature_shape = tuple(int(d) for d in features.shape[1:])
      else:
        # Python str and bytes alike become tf.string; an explicit dtype also covers an empty split.
        features = tf.constant(np.asarray(features, dtype=object).reshape(-1), dtype=tf.string)
      labels = np.asarray(labels, dtype=np.int64).reshape(-1)
      splits[split] = tf.data.Dataset.from_tensor_slices((features, labels))
      num_examples[split] = int(labels.shape[0])
    return cls(name=name, kind=kind, label_names=tuple(label_names), splits=splits,
               num_examples=num_examples, feature_shape=feature_shape)

  def split_arrays(self, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Returns the whole split as `(features, labels)` numpy arrays (text features are `bytes`)."""
    if split not in self.splits:
      raise KeyError(f"Unknown split '{split}': expected one of {', '.join(self.splits)}.")
    count = self.num_examples[split]
    if count == 0:
      features = (np.zeros((0, *self.feature_shape), np.uint8) if self.kind == "image"
                  else np.zeros((0,), dtype=object))
      return features, np.zeros((0,), np.int64)
    features, labels = self.splits[split].batch(count).get_single_element()
    return features.numpy(), labels.numpy()
