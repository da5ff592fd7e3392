"""Tests of export/serving/warmup_requests.py: TF Serving warmup records, and those an export puts in its version."""

import os

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from export.serving.warmup_requests import WARMUP_FILE, read_warmup_requests, warmup_requests, write_warmup_requests
from tfmodels import data as data_lib
from tfmodels.training.model_artifact import ModelArtifact


def test_requests_cover_every_signature_and_batch_size(tmp_path):
  texts = np.array([b"a fine film", b"dull"], dtype=object)
  ids = np.arange(6, dtype=np.int32).reshape(2, 3)
  logs = warmup_requests("rt_lstm", {"serving_default": {"text": texts}, "serving_token_ids": {"token_ids": ids}},
                         batch_sizes=(1, 4))
  path = write_warmup_requests(str(tmp_path), logs)
  assert path == os.path.join(str(tmp_path), "assets.extra", "tf_serving_warmup_requests")
  # Read back as TF Serving reads it: a TFRecord of PredictionLog protos.
  records = [prediction_log_pb2.PredictionLog.FromString(record.numpy())
             for record in tf.data.TFRecordDataset(path)]
  assert records == read_warmup_requests(str(tmp_path)) == logs
  requests = [record.predict_log.request for record in records]
  assert [(r.model_spec.name, r.model_spec.signature_name, r.inputs[next(iter(r.inputs))].tensor_shape.dim[0].size)
          for r in requests] == [("rt_lstm", "serving_default", 1), ("rt_lstm", "serving_default", 4),
                                 ("rt_lstm", "serving_token_ids", 1), ("rt_lstm", "serving_token_ids", 4)]
  # A batch larger than the examples repeats them.
  assert list(tf.make_ndarray(requests[1].inputs["text"])) == [b"a fine film", b"dull", b"a fine film", b"dull"]
  assert tf.make_ndarray(requests[3].inputs["token_ids"]).dtype == np.int32
  assert read_warmup_requests(str(tmp_path / "none")) == []


def test_tf_serving_reads_at_most_1000_records():
  with pytest.raises(ValueError, match="1001 warmup requests: TF Serving reads at most 1000"):
    warmup_requests("m", {"serving_default": {"x": np.zeros((1, 2))}}, batch_sizes=range(1, 1002))


def test_an_export_warms_every_signature_with_real_test_examples(digits_export, digits_model_dir):
  export_dir, report = digits_export
  version = os.path.join(export_dir, "serving", "digits_cnn", "1")
  assert os.path.isfile(os.path.join(version, WARMUP_FILE))
  logs = read_warmup_requests(version)
  sizes = (1, 2, 4, 8, 16, 32, 64)  # the batch sizes the default batching parameters pad to
  assert [(log.predict_log.request.model_spec.signature_name,
           tf.make_ndarray(next(iter(log.predict_log.request.inputs.values()))).shape[0]) for log in logs] == [
               (signature, size) for signature in ("serving_default", "serving_bytes") for size in sizes]
  assert {entry["warmup_requests"] for entry in report["artifacts"] if entry["format"] == "saved_model"} == {14}
  artifact = ModelArtifact.load(digits_model_dir)
  pixels, _ = data_lib.load_dataset(artifact.config.data).split_arrays("test")
  expected = np.asarray(artifact.load_model()(pixels[:64], training=False)).argmax(-1)
  loaded = tf.saved_model.load(version)
  for log in logs:  # each request is a real one: it runs, and on the first test examples
    request = log.predict_log.request
    inputs = {name: tf.constant(tf.make_ndarray(tensor)) for name, tensor in request.inputs.items()}
    class_ids = loaded.signatures[request.model_spec.signature_name](**inputs)["class_ids"].numpy()
    np.testing.assert_array_equal(class_ids, expected[:len(class_ids)])
