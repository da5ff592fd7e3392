"""How the project reads prepared TFDS records: one place for the read settings of every data set."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import tensorflow as tf
import tensorflow_datasets as tfds
from tensorflow_datasets.core import example_parser
from tensorflow_datasets.core import file_adapters
from tensorflow_datasets.core import reader as tfds_reader

_FILES_READ_AT_ONCE = 4
# Records read example by example (evaluation, caches) are decoded this many at a time, then handed on one by one.
_DECODE_BATCH = 256
_READ_BUFFER_BYTES = 1 << 20


def read_records(builder: tfds.core.DatasetBuilder, spec: str, *, shuffle_seed: int | None = None,
                 input_context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
  """Streams the records of the TFDS split `spec` (e.g. `train`, `train[:1617]`) of a prepared builder.

  Args:
    builder: the prepared builder.
    spec: the TFDS split to read.
    shuffle_seed: when given, the record files are read in an order shuffled with this seed, `_FILES_READ_AT_ONCE`
      interleaved at a time; when None, one after the other, in record order.
    input_context: read only this input pipeline's share of the files (the split must have at least as many files
      as pipelines: `num_files`).
  """
  # The project's records are written in a fixed order (`disable_shuffling`); reading their files in a seeded order
  # is what training wants all the same, so TFDS's guard against that is off. Without a seed the files are read one
  # after the other, so the records come in the order they were written, however many files there are.
  # TFDS's defaults read 16 files at once through 8 MiB buffers each (128 MiB, measured as most of the growth of
  # peak memory from 4,000 to 32,000 images by tools/benchmark_data.py); 4 files through 1 MiB buffers keep the
  # reads sequential and the memory small. The records were written in a random order already.
  return builder.as_dataset(split=spec, shuffle_files=shuffle_seed is not None,
                            read_config=_read_config(shuffle_seed, input_context))


def read_serialized(builder: tfds.core.DatasetBuilder, spec: str, *, shuffle_seed: int | None = None,
                    input_context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
  """The records `read_records` reads, in the same order, as serialized `tf.train.Example` strings (scalars).

  Shuffling and batching strings, then parsing whole batches (`batch_decoder`), takes about half the input work of
  TFDS's example-at-a-time parsing, and the training shuffle buffer then fills with bytes read, not with examples
  decoded (tools/benchmark_data.py). The files, their order and each worker's share are TFDS's own: its reader is
  called without the parsing step that `as_dataset` adds.
  """
  info = builder.info
  return tfds_reader._read_files(  # pylint: disable=protected-access  (tests check it against `read_records`)
      file_instructions=info.splits[spec].file_instructions, read_config=_read_config(shuffle_seed, input_context),
      shuffle_files=shuffle_seed is not None, disable_shuffling=info.disable_shuffling,
      file_format=file_adapters.FileFormat.from_value(info.file_format or file_adapters.DEFAULT_FILE_FORMAT))


def batch_decoder(builder: tfds.core.DatasetBuilder, keys: Sequence[str],
                  converters: Mapping[str, tuple[Callable[[tf.Tensor], tf.Tensor], tf.TensorSpec]] | None = None
                  ) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
  """Returns `serialized records (batch,) -> {key: decoded feature (batch, ...)}` for top-level features `keys`.

  Raw pixels (`tfds.features.Tensor` stored as bytes, as the project stores users' images) are decoded for the
  whole batch at once; other features by their own `decode_batch_example` (a `tf.map_fn` for `Image`).

  Args:
    builder: the prepared builder the records come from.
    keys: the features to decode.
    converters: `{key: (function, its output spec)}`: the function is applied to each decoded example of that
      feature (e.g. resizing images of several sizes to one), and the batch holds its outputs.
  """
  converters = converters or {}
  features = builder.info.features
  specs = example_parser.ExampleParser(features.get_serialized_info()).flat_feature_specs
  for key in keys:
    if not isinstance(specs.get(key), tf.io.FixedLenFeature):
      raise ValueError(f"Feature '{key}' of {builder.name} is not one fixed-length value per record; the project "
                       "reads Image, Text, ClassLabel and fixed-shape Tensor features.")
  wanted = {key: specs[key] for key in keys}
  decoders = {key: _decoder(features[key], converters.get(key)) for key in keys}

  def decode(records):
    parsed = tf.io.parse_example(records, wanted)
    return {key: decoders[key](parsed[key]) for key in keys}
  return decode


def decoded(records: tf.data.Dataset, decode: Callable) -> tf.data.Dataset:
  """Unbatched `records` -> their unbatched decodings, in the same order: `decode` (a batch of records -> a
  structure of batched tensors) runs on batches of `_DECODE_BATCH`."""
  return records.batch(_DECODE_BATCH).map(decode, num_parallel_calls=tf.data.AUTOTUNE).unbatch()


def _decoder(feature: tfds.features.FeatureConnector, converter) -> Callable[[tf.Tensor], tf.Tensor]:
  if (converter is None and type(feature) is tfds.features.Tensor  # pylint: disable=unidiomatic-typecheck
      and feature.to_json_content().encoding == tfds.features.Encoding.BYTES.value
      and feature.shape and all(feature.shape)):
    shape, dtype = tuple(feature.shape), feature.tf_dtype
    return lambda values: tf.reshape(tf.io.decode_raw(values, dtype), (-1, *shape))
  if converter is None and isinstance(feature, tfds.features.Tensor):
    return feature.decode_batch_example  # Text, ClassLabel, plain tensors: the parsed values are the features
  # One example at a time (an `Image` decodes its PNG or JPEG), converted where asked. Not the feature's own
  # `decode_batch_example`, which reads TFDS's deprecated `dtype` and logs a warning in every run.
  convert, spec = converter or (lambda value: value, tf.TensorSpec(feature.shape, feature.tf_dtype))
  return lambda values: tf.map_fn(lambda value: convert(feature.decode_example(value)), values,
                                  fn_output_signature=spec)


def _read_config(shuffle_seed: int | None, input_context: tf.distribute.InputContext | None) -> tfds.ReadConfig:
  return tfds.ReadConfig(try_autocache=False, shuffle_seed=shuffle_seed, input_context=input_context,
                         enable_ordering_guard=False,
                         interleave_cycle_length=1 if shuffle_seed is None else _FILES_READ_AT_ONCE,
                         override_buffer_size=_READ_BUFFER_BYTES)


def num_files(builder: tfds.core.DatasetBuilder, spec: str) -> int:
  """Record files (or parts of files, for a sliced split) that the TFDS split `spec` reads."""
  return len(builder.info.splits[spec].file_instructions)
