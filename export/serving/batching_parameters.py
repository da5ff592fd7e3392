"""TF Serving's batching parameters: `--batching_parameters_file`, a text-format `BatchingParameters` proto.

The `tensorflow-serving-api` package does not ship `BatchingParameters` (it lives in the server's
`session_bundle_config.proto`), so `SCHEMA` rebuilds that message from the same field names, numbers and types, and
every file written or read here is parsed against it with protobuf's own text format, as the server does.
"""

from __future__ import annotations

import dataclasses

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format, wrappers_pb2

from export.export_error import ExportError

# BatchingParameters of tensorflow_serving/servables/tensorflow/session_bundle_config.proto (package
# tensorflow.serving): (name, number, wrapper type or None for a plain field).
_FIELDS = (("max_batch_size", 1, "Int64Value"), ("batch_timeout_micros", 2, "Int64Value"),
           ("max_enqueued_batches", 3, "Int64Value"), ("num_batch_threads", 4, "Int64Value"),
           ("thread_pool_name", 5, "StringValue"), ("allowed_batch_sizes", 6, None),
           ("pad_variable_length_inputs", 7, None))


def _schema():
  pool = descriptor_pool.DescriptorPool()
  wrappers = descriptor_pb2.FileDescriptorProto()
  wrappers_pb2.DESCRIPTOR.CopyToProto(wrappers)
  pool.Add(wrappers)
  proto = descriptor_pb2.FileDescriptorProto(name="tensorflow_serving/batching_parameters.proto",
                                             package="tensorflow.serving", syntax="proto3",
                                             dependency=["google/protobuf/wrappers.proto"])
  message = proto.message_type.add(name="BatchingParameters")
  field_type = descriptor_pb2.FieldDescriptorProto
  for name, number, wrapper in _FIELDS:
    if wrapper:
      message.field.add(name=name, number=number, type=field_type.TYPE_MESSAGE, label=field_type.LABEL_OPTIONAL,
                        type_name=f".google.protobuf.{wrapper}")
    elif name == "allowed_batch_sizes":
      message.field.add(name=name, number=number, type=field_type.TYPE_INT64, label=field_type.LABEL_REPEATED)
    else:
      message.field.add(name=name, number=number, type=field_type.TYPE_BOOL, label=field_type.LABEL_OPTIONAL)
  pool.Add(proto)
  return message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow.serving.BatchingParameters"))


SCHEMA = _schema()
_WRAPPED = ("max_batch_size", "batch_timeout_micros", "max_enqueued_batches", "num_batch_threads")


@dataclasses.dataclass(frozen=True)
class BatchingParameters:
  """The batching parameters of a TF Serving server started with `--enable_batching` (the defaults are ours).

  Batching is shared by every model on the server. The defaults suit small classifiers on a CPU server serving
  online requests; README "Deploy" gives the reasoning. `None` (only from `parse`) means the field is absent and the
  server uses its own default.

  Attributes:
    max_batch_size: the most examples in one batch, and in one request: a larger request is refused.
    batch_timeout_micros: how long a batch waits for more requests before it runs underfull.
    num_batch_threads: batches run in parallel; the server's CPU cores.
    max_enqueued_batches: batches waiting beyond those running; when full, requests fail as UNAVAILABLE (which a
      client retries with backoff) instead of queueing without bound.
    allowed_batch_sizes: a batch is padded up to the next of these sizes, so the model only ever runs (and is
      warmed up) at these batch sizes; increasing, ending at `max_batch_size`.
    pad_variable_length_inputs: pad inputs of different lengths; every input of these models has a fixed
      per-example shape.
  """

  max_batch_size: int | None = 64
  batch_timeout_micros: int | None = 1000
  num_batch_threads: int | None = 4
  max_enqueued_batches: int | None = 4
  allowed_batch_sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
  pad_variable_length_inputs: bool = False

  def __post_init__(self):
    object.__setattr__(self, "allowed_batch_sizes", tuple(int(size) for size in self.allowed_batch_sizes))
    for name, least in (("max_batch_size", 1), ("batch_timeout_micros", 0), ("num_batch_threads", 1),
                        ("max_enqueued_batches", 1)):
      value = getattr(self, name)
      if value is not None and value < least:
        raise ExportError(f"Batching parameter {name}={value}: give an integer >= {least}.")
    sizes = self.allowed_batch_sizes
    if sizes and (sizes[0] < 1 or any(a >= b for a, b in zip(sizes, sizes[1:]))):
      raise ExportError(f"Batching parameter allowed_batch_sizes={list(sizes)}: give increasing sizes >= 1.")
    if sizes and self.max_batch_size is not None and sizes[-1] != self.max_batch_size:
      raise ExportError(f"Batching parameter allowed_batch_sizes={list(sizes)} must end at max_batch_size="
                        f"{self.max_batch_size} (TF Serving refuses the file otherwise).")

  def to_text(self) -> str:
    """The text-format `BatchingParameters` proto TF Serving reads."""
    message = SCHEMA()
    for name in _WRAPPED:
      if getattr(self, name) is not None:
        getattr(message, name).value = getattr(self, name)
    message.allowed_batch_sizes.extend(self.allowed_batch_sizes)
    message.pad_variable_length_inputs = self.pad_variable_length_inputs
    return text_format.MessageToString(message)

  @classmethod
  def parse(cls, text: str, source: str = "batching parameters") -> "BatchingParameters":
    """Parses a text-format `BatchingParameters` proto (fields of newer servers are accepted and ignored).

    Raises:
      ExportError: the text is not a valid `BatchingParameters` proto, or its values are inconsistent.
    """
    try:
      message = text_format.Parse(text, SCHEMA(), allow_unknown_field=True)
    except text_format.ParseError as error:
      raise ExportError(f"{source} is not a text-format BatchingParameters proto ({error}). Fix it, or delete it "
                        "to have the defaults written again.") from None
    values = {name: getattr(message, name).value if message.HasField(name) else None for name in _WRAPPED}
    try:
      return cls(**values, allowed_batch_sizes=tuple(message.allowed_batch_sizes),
                 pad_variable_length_inputs=message.pad_variable_length_inputs)
    except ExportError as error:
      raise ExportError(f"{source}: {error}") from None

  def warmup_batch_sizes(self) -> tuple[int, ...]:
    """The batch sizes a model runs at behind this batching: those it pads to, or 1 and the largest."""
    if self.allowed_batch_sizes:
      return self.allowed_batch_sizes
    return tuple(sorted({1, self.max_batch_size or 1}))
