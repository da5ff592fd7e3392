"""A TF Serving REST client: predict in row or columnar format, model status and metadata. No TensorFlow needed.

  client = RestClient("http://localhost:8501", ModelTarget("digits_cnn", label="stable"))
  client.predict([open("digit.png", "rb").read()], signature="serving_bytes")["classes"]   # array(['3'])

Requests are those of TF Serving's REST API: `POST /v1/models/NAME[/versions/V|/labels/L]:predict` with
`{"signature_name", "instances"}` (row format: one entry per example) or `{"signature_name", "inputs"}` (columnar
format: one entry per input); bytes are sent as `{"b64": "<base64>"}`. `GET /v1/models/NAME[...]` gives the status
of the versions, `GET .../metadata` the signatures.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

import numpy as np

from tfmodels.serving import server_responses
from tfmodels.serving import serving_error
from tfmodels.serving.model_target import ModelTarget
from tfmodels.serving.retry_policy import RetryPolicy
from tfmodels.serving.serving_error import ServingError

REQUEST_FORMATS = ("row", "columnar")


class RestClient:
  """Talks to one model on a TF Serving REST port.

  Args:
    server: the REST API's base URL, e.g. `http://localhost:8501`.
    target: the model and version (or label) to ask.
    timeout: seconds to wait for each answer.
    retry: how to retry when nothing answers yet or the server is UNAVAILABLE (HTTP 503).
  """

  def __init__(self, server: str, target: ModelTarget, *, timeout: float = 10.0, retry: RetryPolicy = RetryPolicy()):
    if not server.startswith(("http://", "https://")):
      raise ServingError(f"--server={server}: give the REST API's URL, e.g. http://localhost:8501 (for the gRPC port "
                         "use --grpc=HOST:PORT).", serving_error.INVALID)
    if timeout <= 0:
      raise ServingError(f"--timeout={timeout}: give a number of seconds > 0.", serving_error.INVALID)
    self.server = server.rstrip("/")
    self.target = target
    self.timeout = timeout
    self.retry = retry

  def predict(self, inputs: Any, signature: str | None = None, request_format: str = "row") -> dict[str, np.ndarray]:
    """Runs a signature on a batch; returns {output name: values, first axis the batch}.

    Args:
      inputs: the signature's only input as a list or array (first axis the batch), or {input name: that}. Bytes
        (e.g. encoded images) are sent base64-encoded, as the REST API requires.
      signature: the signature to run (default: the model's `serving_default`).
      request_format: `row` (`instances`) or `columnar` (`inputs`).
    """
    if request_format not in REQUEST_FORMATS:
      raise ServingError(f"Unknown request format {request_format!r}: use row or columnar.", serving_error.INVALID)
    body: dict[str, Any] = {"signature_name": signature} if signature else {}
    if request_format == "columnar":
      body["inputs"] = {name: _json_value(value) for name, value in inputs.items()} if isinstance(
          inputs, Mapping) else _json_value(inputs)
    elif isinstance(inputs, Mapping):
      columns = {name: _json_value(value) for name, value in inputs.items()}
      sizes = {len(column) for column in columns.values()}
      if not sizes:
        raise ServingError("No inputs to send.", serving_error.INVALID)
      if len(sizes) > 1:
        raise ServingError(f"Inputs with different numbers of examples ({sorted(sizes)}) cannot go in row format; "
                           "use the columnar format.", serving_error.INVALID)
      body["instances"] = [{name: column[i] for name, column in columns.items()} for i in range(sizes.pop())]
    else:
      body["instances"] = _json_value(inputs)
    response = self._request("POST", f"{self.target.rest_path()}:predict", body)
    try:
      return server_responses.prediction_columns(response)
    except (ValueError, KeyError, TypeError) as error:
      raise ServingError(f"{self.server} answered the predict request with something else than a TF Serving "
                         f"prediction ({error}).", serving_error.SERVER) from None

  def status(self) -> list[dict]:
    """The versions the server has for the model, with their state (e.g. AVAILABLE), oldest first."""
    return server_responses.version_status(self._request("GET", self.target.rest_path()))

  def metadata(self) -> dict:
    """{"model", "version", "signatures": {name: {"inputs", "outputs"}}} of the version that answers."""
    response = self._request("GET", f"{self.target.rest_path()}/metadata")
    return {"model": self.target.name, "version": server_responses.model_version(response),
            "signatures": server_responses.signatures(response.get("metadata", {}).get("signature_def", {}))}

  def _request(self, method: str, path: str, body: dict | None = None) -> dict:
    url = self.server + path
    data = json.dumps(body).encode("utf-8") if body is not None else None

    def attempt() -> dict:
      request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
      try:
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
          text = response.read()
      except urllib.error.HTTPError as error:
        raise self._http_error(error) from None
      except urllib.error.URLError as error:
        raise self._connection_error(error.reason) from None
      except (TimeoutError, ConnectionError) as error:  # raised while reading the answer
        raise self._connection_error(error) from None
      try:
        return json.loads(text)
      except ValueError:
        raise ServingError(f"{url} answered with something else than JSON ({text[:200]!r}): is --server the REST "
                           "port of TF Serving?", serving_error.SERVER) from None

    return self.retry.call(attempt)

  def _http_error(self, error: urllib.error.HTTPError) -> ServingError:
    text = error.read().decode("utf-8", "replace")
    try:
      message = json.loads(text)["error"]
    except (ValueError, KeyError, TypeError):
      # TF Serving answers every error with JSON {"error": ...}; anything else is another server on that port.
      return ServingError(
          f"{self.server} answered HTTP {error.code} ({error.reason}) with {_describe_body(text)}, not TF Serving's "
          "JSON: is --server the REST port of TF Serving (8501 unless --rest_api_port says otherwise)?",
          serving_error.SERVER, text.strip()[:300])
    if error.code == 404:
      return ServingError(
          f"TF Serving at {self.server} has no {self.target} ({message}). Check the name and the version or label: "
          "models.config lists the models and labels, and --status the versions the server has loaded (only the "
          "newest one unless labels pin others).", serving_error.NOT_FOUND, message)
    if error.code == 400:
      return ServingError(
          f"TF Serving refused the request to {self.target} ({message}). Check the signature and the inputs "
          "(--metadata lists each signature's inputs with their dtypes and shapes) and that a label is in "
          "models.config.", serving_error.BAD_REQUEST, message)
    if error.code == 503:
      return ServingError(
          f"TF Serving at {self.server} cannot take the request now ({message}): it is starting, loading the model, "
          "or its batching queue is full. Try again later, or give more --retries.", serving_error.UNAVAILABLE,
          message)
    if error.code in (408, 504):
      return ServingError(f"TF Serving at {self.server} timed out ({message}). Send smaller batches, or check the "
                          "server's load.", serving_error.TIMEOUT, message)
    return ServingError(f"TF Serving at {self.server} failed (HTTP {error.code}: {message}).", serving_error.SERVER,
                        message)

  def _connection_error(self, reason: Any) -> ServingError:
    if isinstance(reason, (TimeoutError, socket.timeout)):
      return ServingError(f"No answer from TF Serving at {self.server} within {self.timeout:g} s. Give a longer "
                          "--timeout, or check the server's load.", serving_error.TIMEOUT)
    if isinstance(reason, socket.gaierror):
      return ServingError(f"Cannot resolve the host of --server={self.server} ({reason}). Check the address.",
                          serving_error.INVALID)
    detail = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
    return ServingError(f"Cannot connect to TF Serving at {self.server} ({detail}). Is the server running with its "
                        "REST port published (docker run -p 8501:8501 ...)? Check --server.", serving_error.CONNECTION)


def _json_value(value: Any) -> Any:
  """A value as the REST API's JSON has it: lists for arrays, `{"b64": ...}` for bytes."""
  if isinstance(value, np.ndarray):
    value = value.tolist()
  elif isinstance(value, np.generic):
    value = value.item()
  if isinstance(value, (bytes, bytearray)):
    return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
  if isinstance(value, (list, tuple)):
    return [_json_value(item) for item in value]
  return value


def _describe_body(text: str) -> str:
  """A short description of a non-JSON answer: an HTML page by its title, other text by its first words."""
  title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
  if title:
    return f"an HTML page titled {' '.join(title.group(1).split())[:80]!r}"
  words = " ".join(text.split())
  if not words:
    return "an empty body"
  return f"text starting {words[:60]!r}" + ("..." if len(words) > 60 else "")
