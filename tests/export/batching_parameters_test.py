"""Tests of export/serving/batching_parameters.py: TF Serving's BatchingParameters text format, checked against its schema."""

from google.protobuf import text_format
import pytest

from export.serving.batching_parameters import SCHEMA, BatchingParameters
from export.export_error import ExportError


def test_the_schema_is_tf_servings_batching_parameters():
  fields = {field.name: (field.number, field.message_type.full_name if field.message_type else field.type)
            for field in SCHEMA.DESCRIPTOR.fields}
  assert SCHEMA.DESCRIPTOR.full_name == "tensorflow.serving.BatchingParameters"
  assert fields["max_batch_size"] == (1, "google.protobuf.Int64Value")
  assert fields["batch_timeout_micros"] == (2, "google.protobuf.Int64Value")
  assert fields["max_enqueued_batches"] == (3, "google.protobuf.Int64Value")
  assert fields["num_batch_threads"] == (4, "google.protobuf.Int64Value")
  assert fields["allowed_batch_sizes"][0] == 6 and SCHEMA.DESCRIPTOR.fields_by_name["allowed_batch_sizes"].is_repeated
  assert fields["pad_variable_length_inputs"][0] == 7


def test_the_defaults_round_trip_through_the_text_format():
  text = BatchingParameters().to_text()
  message = text_format.Parse(text, SCHEMA())
  assert message.max_batch_size.value == 64 and message.batch_timeout_micros.value == 1000
  assert message.num_batch_threads.value == 4 and message.max_enqueued_batches.value == 4
  assert list(message.allowed_batch_sizes) == [1, 2, 4, 8, 16, 32, 64]
  assert "max_batch_size {\n  value: 64\n}" in text  # wrapped values, as the server's parser wants them
  assert BatchingParameters.parse(text) == BatchingParameters()


def test_a_hand_written_file_parses_with_absent_fields_left_to_the_server():
  parsed = BatchingParameters.parse("# tuned\nmax_batch_size { value: 128 }\nnum_batch_threads { value: 16 }\n"
                                    "enable_large_batch_splitting { value: true }\n")  # a newer server's field
  assert (parsed.max_batch_size, parsed.num_batch_threads, parsed.batch_timeout_micros) == (128, 16, None)
  assert parsed.allowed_batch_sizes == () and parsed.warmup_batch_sizes() == (1, 128)
  assert BatchingParameters().warmup_batch_sizes() == (1, 2, 4, 8, 16, 32, 64)


def test_invalid_parameters_are_refused_with_the_fix():
  with pytest.raises(ExportError, match=r"f\.txt is not a text-format BatchingParameters.*delete it"):
    BatchingParameters.parse("max_batch_size: 8", "f.txt")
  with pytest.raises(ExportError, match="must end at max_batch_size=64"):
    BatchingParameters(allowed_batch_sizes=(8, 32))
  with pytest.raises(ExportError, match="increasing"):
    BatchingParameters(max_batch_size=8, allowed_batch_sizes=(8, 4, 8))
  with pytest.raises(ExportError, match="num_batch_threads=0: give an integer >= 1"):
    BatchingParameters(num_batch_threads=0)
  with pytest.raises(ExportError, match="f.txt: Batching parameter allowed_batch_sizes"):
    BatchingParameters.parse("max_batch_size { value: 8 }\nallowed_batch_sizes: 4\n", "f.txt")
