"""A labelled data set split three ways, read as a stream from prepared TFDS records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import dataclasses
import functools

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from tfmodels.data import record_reading
from tfmodels.data import stream_sample

SPLIT_NAMES = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True)
class LoadedDataset:
  """A labelled data set with train, validation and test splits, streamed from TFDS records.

  Attributes:
    name: the data set as named in `DataConfig.dataset`.
    kind: `image` or `text`.
    label_names: class names; label `i` is `label_names[i]`.
    num_examples: number of examples in each split.
    feature_shape: `(H, W, C)` for images, `()` for text.
    builder: the prepared TFDS builder the records are read with.
    split_specs: the TFDS split (e.g. `train`, `train[:1617]`) each split reads; "" = the split is empty.
    feature_key: the feature of each record that the model reads.
    label_key: the `ClassLabel` feature of each record.
    convert: turns a decoded feature into the model's `feature_shape` (TFDS images of other sizes or channel counts);
      None = used as decoded.
  """

  name: str
  kind: str
  label_names: tuple[str, ...]
  num_examples: dict[str, int]
  feature_shape: tuple[int, ...]
  builder: tfds.core.DatasetBuilder
  split_specs: Mapping[str, str]
  feature_key: str
  label_key: str
  convert: Callable[[tf.Tensor], tf.Tensor] | None = None

  @property
  def num_classes(self) -> int:
    """Number of classes."""
    return len(self.label_names)

  @property
  def splits(self) -> dict[str, tf.data.Dataset]:
    """Every split as an unbatched `tf.data.Dataset` of `(feature, label)` in record order.

    Image features are `uint8` `(H, W, C)` with a static shape, text features `tf.string` scalars, labels `int64`.
    """
    return {split: self.read(split) for split in SPLIT_NAMES}

  def num_files(self, split: str) -> int:
    """Record files (or parts of files, for a sliced split) that `split` reads."""
    spec = self._spec(split)
    return record_reading.num_files(self.builder, spec) if spec else 0

  def read(self, split: str, *, shuffle_seed: int | None = None,
           input_context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
    """Streams `split` as unbatched `(feature, label)`.

    Args:
      split: `train`, `validation` or `test`.
      shuffle_seed: when given, the record files are read in an order shuffled with this seed (and interleaved);
        when None, in record order.
      input_context: read only this input pipeline's share of the files. The split must have at least as many files
        as pipelines (`num_files`).
    """
    records = self.read_serialized(split, shuffle_seed=shuffle_seed, input_context=input_context)
    return record_reading.decoded(records, self.decode_batch)

  def read_serialized(self, split: str, *, shuffle_seed: int | None = None,
                      input_context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
    """Streams the records of `split` (see `read`) as serialized strings, for `decode_batch` after batching."""
    spec = self._spec(split)
    records = record_reading.read_serialized(self.builder, spec or self._any_split(), shuffle_seed=shuffle_seed,
                                             input_context=input_context)
    return records if spec else records.take(0)

  def decode_batch(self, records: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Serialized records `(batch,)` (from `read_serialized`) -> `(features, labels)`, as `read` gives them, batched."""
    decoded = self._batch_decoder(records)
    return decoded[self.feature_key], tf.cast(decoded[self.label_key], tf.int64)

  @functools.cached_property
  def _batch_decoder(self):
    converters = {}
    if self.convert:
      dtype = tf.uint8 if self.kind == "image" else tf.string
      converters[self.feature_key] = (self.convert, tf.TensorSpec(self.feature_shape, dtype))
    return record_reading.batch_decoder(self.builder, (self.feature_key, self.label_key), converters)

  def split_arrays(self, split: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The split (or its first `limit` examples) as `(features, labels)` numpy arrays (text features are `bytes`)."""
    count = self.num_examples[self._check(split)]
    count = count if limit is None else min(count, limit)
    if count == 0:
      features = (np.zeros((0, *self.feature_shape), np.uint8) if self.kind == "image"
                  else np.zeros((0,), dtype=object))
      return features, np.zeros((0,), np.int64)
    features, labels = self.read(split).take(count).batch(count).get_single_element()
    return features.numpy(), labels.numpy()

  def sample_arrays(self, split: str, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random sample of `count` examples of `split` (all, when it has fewer), in record order.

    Streams the split once and keeps only the chosen examples, so memory does not grow with the split.
    """
    total = self.num_examples[self._check(split)]
    picked = min(count, total)
    if picked == 0:
      return self.split_arrays(split, 0)
    features, labels = stream_sample.sampled(self.read(split), total, count, seed).batch(picked).get_single_element()
    return features.numpy(), labels.numpy()

  def _check(self, split: str) -> str:
    if split not in self.split_specs:
      raise KeyError(f"Unknown split '{split}': expected one of {', '.join(self.split_specs)}.")
    return split

  def _spec(self, split: str) -> str:
    return self.split_specs[self._check(split)]

  def _any_split(self) -> str:
    return next(spec for spec in self.split_specs.values() if spec)


def from_prepared(name: str, builder: tfds.core.DatasetBuilder, split_specs: Mapping[str, str] | None = None,
                  feature_key: str = "", label_key: str = "",
                  convert: Callable[[tf.Tensor], tf.Tensor] | None = None,
                  feature_shape: tuple[int, ...] | None = None) -> LoadedDataset:
  """A `LoadedDataset` over a prepared builder.

  Args:
    name: the data set name.
    builder: a prepared builder whose label feature is a `ClassLabel` and whose feature is an `Image` or a `Text`.
    split_specs: the TFDS split each of train, validation and test reads (default: the split of the same name, or
      empty when the builder has none).
    feature_key: the feature (default: the first supervised key).
    label_key: the label (default: the second supervised key).
    convert: see `LoadedDataset.convert`.
    feature_shape: the shape after `convert` (default: the feature's own shape).
  """
  info = builder.info
  keys = info.supervised_keys or ("", "")
  feature_key, label_key = feature_key or keys[0], label_key or keys[1]
  feature = info.features[feature_key]
  kind = "image" if is_image_feature(feature) else "text"
  if split_specs is None:
    split_specs = {split: split if split in info.splits else "" for split in SPLIT_NAMES}
  num_examples = {split: info.splits[spec].num_examples if spec else 0 for split, spec in split_specs.items()}
  if feature_shape is None:
    feature_shape = tuple(int(d) for d in feature.shape) if kind == "image" else ()
  return LoadedDataset(name=name, kind=kind, label_names=tuple(info.features[label_key].names),
                       num_examples=num_examples, feature_shape=feature_shape, builder=builder,
                       split_specs=dict(split_specs), feature_key=feature_key, label_key=label_key, convert=convert)


def is_image_feature(feature: tfds.features.FeatureConnector) -> bool:
  """Whether a feature holds images: a TFDS `Image`, or `(H, W, C)` uint8 pixels stored raw (`UserImageFolder`)."""
  if isinstance(feature, tfds.features.Image):
    return True
  return (isinstance(feature, tfds.features.Tensor) and feature.np_dtype == np.uint8 and len(feature.shape) == 3
          and all(feature.shape))
