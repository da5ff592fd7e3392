"""Tests of tfmodels/serving/grpc_client.py against the gRPC stand-in (which stands in for TF Serving, see conftest)."""

import socket
import time

import numpy as np
import pytest

from tfmodels.serving import serving_error
from tfmodels.serving.grpc_client import GrpcClient
from tfmodels.serving.model_target import ModelTarget
from tfmodels.serving.retry_policy import RetryPolicy
from tfmodels.serving.serving_error import ServingError

_FAST_RETRY = RetryPolicy(retries=2, initial_backoff=0.01)


def _client(server, name="digits_cnn", **kwargs) -> GrpcClient:
  target = ModelTarget(name, kwargs.pop("version", None), kwargs.pop("label", None))
  return GrpcClient(server.address, target, retry=kwargs.pop("retry", _FAST_RETRY), **kwargs)


def test_images_as_pixels_and_as_files_give_the_keras_classes(grpc_server, examples):
  digits = examples["digits_cnn"]
  with _client(grpc_server, label="canary") as client:
    by_pixels = client.predict(digits.features)
    by_files = client.predict(digits.files, signature="serving_bytes")
    # Nested lists of ints are cast to the signature's uint8.
    by_lists = client.predict({"pixels": digits.features.tolist()})
  assert list(by_pixels["classes"]) == digits.classes and by_pixels["classes"].dtype.kind == "U"
  assert by_pixels["class_ids"].dtype == np.int64 and by_pixels["logits"].dtype == np.float32
  for outputs in (by_files, by_lists):
    np.testing.assert_array_equal(outputs["logits"], by_pixels["logits"])


def test_texts_give_the_keras_classes(grpc_server, examples):
  reviews = examples["rotten_tomatoes_transformer"]
  with _client(grpc_server, "rotten_tomatoes_transformer") as client:
    assert list(client.predict(reviews.features)["classes"]) == reviews.classes


def test_versions_labels_status_and_metadata(grpc_server):
  for kwargs, version in (({}, 2), ({"label": "stable"}, 1), ({"version": 1}, 1)):
    with _client(grpc_server, **kwargs) as client:
      assert client.metadata()["version"] == version
  with _client(grpc_server) as client:
    assert [entry["version"] for entry in client.status()] == [1, 2]
    signatures = client.metadata()["signatures"]
  assert signatures["serving_default"]["inputs"] == {"pixels": {"dtype": "DT_UINT8", "shape": [-1, 8, 8, 1]}}
  assert signatures["serving_default"]["outputs"]["classes"] == {"dtype": "DT_STRING", "shape": [-1]}


def test_errors_name_the_problem(grpc_server, examples):
  pixels = examples["digits_cnn"].features
  with pytest.raises(ServingError, match=r"NOT_FOUND for model digits_lstm \(Servable not found") as raised:
    _client(grpc_server, "digits_lstm").predict(pixels)
  assert raised.value.kind == serving_error.NOT_FOUND
  with pytest.raises(ServingError, match="Unrecognized servable version label: beta") as raised:
    _client(grpc_server, label="beta").status()
  assert raised.value.kind == serving_error.BAD_REQUEST
  with pytest.raises(ServingError, match=r"has no signature serving_text \(signatures: serving_bytes, "
                                         r"serving_default\)"):
    _client(grpc_server).predict(pixels, signature="serving_text")
  with pytest.raises(ServingError, match="INVALID_ARGUMENT") as raised:
    _client(grpc_server).predict(pixels[:, :4])  # the wrong image size
  assert raised.value.kind == serving_error.BAD_REQUEST


def test_unavailable_is_retried_and_a_refused_connection_explained(grpc_server, served_models, examples):
  served_models.refuse_next(2)
  with _client(grpc_server) as client:
    assert list(client.predict(examples["digits_cnn"].features)["classes"]) == examples["digits_cnn"].classes
  with socket.socket() as probe:  # a port where nothing listens
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
  with pytest.raises(ServingError, match=r"Cannot connect to TF Serving's gRPC API at .*gave up after 3 attempts") \
      as raised:
    GrpcClient(f"127.0.0.1:{port}", ModelTarget("digits_cnn"), retry=_FAST_RETRY, timeout=2).status()
  assert raised.value.kind == serving_error.CONNECTION
  with pytest.raises(ServingError, match="give HOST:PORT"):
    GrpcClient("http://localhost:8500", ModelTarget("digits_cnn"))


def test_a_slow_answer_times_out_without_retrying(grpc_server, served_models):
  served_models.answer_after(1.0)
  try:
    start = time.perf_counter()
    with pytest.raises(ServingError, match="DEADLINE_EXCEEDED.*no answer within 0.3 s") as raised:
      _client(grpc_server, timeout=0.3).status()
    assert raised.value.kind == serving_error.TIMEOUT and time.perf_counter() - start < 0.9
  finally:
    served_models.answer_after(0.0)
