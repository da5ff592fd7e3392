"""Tests of tfmodels/serving/rest_client.py against the REST stand-in (which stands in for TF Serving, see conftest)."""

import pathlib
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from tfmodels.serving import serving_error
from tfmodels.serving.model_target import ModelTarget
from tfmodels.serving.rest_client import RestClient
from tfmodels.serving.retry_policy import RetryPolicy
from tfmodels.serving.serving_error import ServingError

_FAST_RETRY = RetryPolicy(retries=2, initial_backoff=0.01)
_REPO = pathlib.Path(__file__).resolve().parents[2]


def _client(server, name="digits_cnn", **kwargs) -> RestClient:
  target = ModelTarget(name, kwargs.pop("version", None), kwargs.pop("label", None))
  return RestClient(server.url, target, retry=kwargs.pop("retry", _FAST_RETRY), **kwargs)


@pytest.mark.parametrize("request_format", ["row", "columnar"])
def test_images_as_pixels_and_as_files_give_the_keras_classes(rest_server, examples, request_format):
  digits = examples["digits_cnn"]
  client = _client(rest_server, label="stable")
  by_pixels = client.predict(digits.features, request_format=request_format)
  assert list(by_pixels["classes"]) == digits.classes
  assert by_pixels["logits"].shape == (8, 10) and by_pixels["class_ids"].dtype.kind == "i"
  np.testing.assert_allclose(by_pixels["probabilities"].sum(-1), 1.0, atol=1e-5)
  # Encoded files go base64-encoded to the serving_bytes signature, named or not.
  by_files = client.predict(digits.files, signature="serving_bytes", request_format=request_format)
  named = client.predict({"image_bytes": digits.files}, signature="serving_bytes", request_format=request_format)
  for outputs in (by_files, named):
    assert list(outputs["classes"]) == digits.classes
    np.testing.assert_array_equal(outputs["logits"], by_pixels["logits"])


@pytest.mark.parametrize("request_format", ["row", "columnar"])
def test_texts_give_the_keras_classes(rest_server, examples, request_format):
  reviews = examples["rotten_tomatoes_transformer"]
  outputs = _client(rest_server, "rotten_tomatoes_transformer").predict(reviews.features,
                                                                          request_format=request_format)
  assert list(outputs["classes"]) == reviews.classes
  assert set(outputs["classes"]) <= set(reviews.label_names)


def test_versions_and_labels_reach_their_versions(rest_server):
  assert _client(rest_server).metadata()["version"] == 2  # the newest
  assert _client(rest_server, label="stable").metadata()["version"] == 1
  assert _client(rest_server, label="canary").metadata()["version"] == 2
  assert _client(rest_server, version=1).metadata()["version"] == 1


def test_status_and_metadata(rest_server):
  assert _client(rest_server).status() == [{"version": 1, "state": "AVAILABLE", "error": ""},
                                           {"version": 2, "state": "AVAILABLE", "error": ""}]
  assert _client(rest_server, label="canary").status() == [{"version": 2, "state": "AVAILABLE", "error": ""}]
  signatures = _client(rest_server).metadata()["signatures"]
  assert sorted(signatures) == ["serving_bytes", "serving_default"]
  assert signatures["serving_default"]["inputs"] == {"pixels": {"dtype": "DT_UINT8", "shape": [-1, 8, 8, 1]}}
  assert signatures["serving_bytes"]["inputs"] == {"image_bytes": {"dtype": "DT_STRING", "shape": [-1]}}
  assert signatures["serving_default"]["outputs"]["probabilities"] == {"dtype": "DT_FLOAT", "shape": [-1, 10]}
  text = _client(rest_server, "rotten_tomatoes_transformer").metadata()["signatures"]
  assert text["serving_default"]["inputs"] == {"text": {"dtype": "DT_STRING", "shape": [-1]}}
  assert text["serving_token_ids"]["inputs"]["token_ids"]["dtype"] == "DT_INT32"


def test_an_unknown_model_or_version_is_not_found(rest_server, examples):
  pixels = examples["digits_cnn"].features
  for client, server_message in ((_client(rest_server, "digits_lstm"), "Servable not found for request: Latest("
                                  "digits_lstm)"),
                                 (_client(rest_server, version=3), "Specific(digits_cnn, 3)")):
    with pytest.raises(ServingError, match="models.config lists the models") as raised:
      client.predict(pixels)
    assert raised.value.kind == serving_error.NOT_FOUND and server_message in raised.value.server_message


def test_bad_requests_are_refused_with_the_servers_reason(rest_server, examples):
  pixels = examples["digits_cnn"].features
  with pytest.raises(ServingError, match="Unrecognized servable version label: beta") as raised:
    _client(rest_server, label="beta").predict(pixels)
  assert raised.value.kind == serving_error.BAD_REQUEST
  with pytest.raises(ServingError, match="--metadata lists each signature's inputs") as raised:
    _client(rest_server).predict(pixels / 255.0)  # floats for uint8 pixels
  assert "is not of expected type: uint8" in raised.value.server_message
  with pytest.raises(ServingError, match="not found in signature def"):
    _client(rest_server).predict(pixels, signature="serving_text")
  with pytest.raises(ServingError) as raised:
    _client(rest_server).predict(pixels[:, :4])  # the wrong image size
  assert raised.value.kind == serving_error.BAD_REQUEST


def test_unavailable_is_retried_with_backoff(rest_server, served_models, examples):
  served_models.refuse_next(2)
  assert list(_client(rest_server).predict(examples["digits_cnn"].features)["classes"]) == examples[
      "digits_cnn"].classes
  served_models.refuse_next(3)
  with pytest.raises(ServingError, match=r"cannot take the request now.*gave up after 3 attempts") as raised:
    _client(rest_server).status()
  assert raised.value.kind == serving_error.UNAVAILABLE
  served_models.refuse_next(0)


def test_a_refused_connection_is_retried_then_explained():
  with socket.socket() as probe:  # a port where nothing listens
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
  client = RestClient(f"http://127.0.0.1:{port}", ModelTarget("digits_cnn"), retry=_FAST_RETRY)
  start = time.perf_counter()
  with pytest.raises(ServingError, match=r"Cannot connect to TF Serving at .*Connection refused.*Is the server "
                                         r"running.*gave up after 3 attempts") as raised:
    client.status()
  assert raised.value.kind == serving_error.CONNECTION and time.perf_counter() - start >= 0.03  # 0.01 + 0.02
  with pytest.raises(ServingError, match="give the REST API's URL"):
    RestClient("localhost:8501", ModelTarget("digits_cnn"))


def test_a_slow_answer_times_out_without_retrying(rest_server, served_models):
  served_models.answer_after(1.0)
  try:
    start = time.perf_counter()
    with pytest.raises(ServingError, match=r"No answer from TF Serving .* within 0.3 s") as raised:
      _client(rest_server, timeout=0.3).status()
    assert raised.value.kind == serving_error.TIMEOUT and time.perf_counter() - start < 0.9
  finally:
    served_models.answer_after(0.0)


def test_the_rest_client_imports_no_tensorflow():
  code = ("import sys; from tfmodels.serving.rest_client import RestClient; "
          "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'tensorflow_serving'}))")
  result = subprocess.run([sys.executable, "-c", code], cwd=_REPO, capture_output=True, text=True, timeout=60,
                          check=True)
  assert result.stdout.strip() == "[]"


def test_a_plain_web_server_is_named_as_not_tf_serving(tmp_path):
  import http.server  # pylint: disable=g-import-not-at-top
  import threading  # pylint: disable=g-import-not-at-top
  # Python's own file server on a free port of this machine: its 404 page is HTML.
  handler = lambda *args: http.server.SimpleHTTPRequestHandler(*args, directory=str(tmp_path))
  server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
  thread = threading.Thread(target=server.serve_forever, daemon=True)
  thread.start()
  try:
    client = RestClient(f"http://127.0.0.1:{server.server_address[1]}", ModelTarget("digits_cnn"), retry=_FAST_RETRY)
    with pytest.raises(ServingError) as error:
      client.status()
  finally:
    server.shutdown()
    server.server_close()
  message = str(error.value)
  assert "answered HTTP 404" in message and "an HTML page titled 'Error response'" in message
  assert "not TF Serving's JSON: is --server the REST port of TF Serving" in message
  assert "<" not in message  # no raw HTML
