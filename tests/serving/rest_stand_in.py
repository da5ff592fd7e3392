"""A stand-in for TF Serving's REST API in tests (not the server): real request paths and JSON, real SavedModels.

Follows TF Serving's REST API (`tensorflow_serving/model_servers/http_rest_api_*.cc`, `util/json_tensor.cc`): the
same path patterns; predict requests in row (`instances`) or columnar (`inputs`) format with `{"b64": ...}` for
bytes; answers `{"predictions": ...}` or `{"outputs": ...}` with float32 values printed at their shortest, string
outputs as text (base64 objects for names ending in `_bytes`); status and metadata as the server prints the
`GetModelStatusResponse` and `GetModelMetadataResponse` protos; errors as `{"error": message}` with the server's
HTTP status for each gRPC code.
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import threading
import urllib.parse
from typing import Any

from google.protobuf import json_format
import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import model_pb2

from tests.serving.served_models import DEFAULT_SIGNATURE, ServedModels
from tests.serving.stand_in_error import StandInError

# The server's path patterns (http_rest_api_util.cc).
_PREDICT_PATH = re.compile(
    r"/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)", re.IGNORECASE)
_STATUS_PATH = re.compile(r"/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?",
                          re.IGNORECASE)
# The server's HTTP status per gRPC code (http_server.cc).
_HTTP_STATUS = {grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.FAILED_PRECONDITION: 400,
                grpc.StatusCode.OUT_OF_RANGE: 400, grpc.StatusCode.NOT_FOUND: 404, grpc.StatusCode.UNAVAILABLE: 503,
                grpc.StatusCode.DEADLINE_EXCEEDED: 504, grpc.StatusCode.UNIMPLEMENTED: 501,
                grpc.StatusCode.RESOURCE_EXHAUSTED: 429}
_JSON_OPTIONS = {"always_print_fields_with_no_presence": True}


class RestStandIn:
  """Serves `models` over HTTP on a free local port while used as a context manager (`url` is its base URL)."""

  def __init__(self, models: ServedModels):
    self.models = models
    self.url = ""
    self._server: http.server.ThreadingHTTPServer | None = None
    self._thread: threading.Thread | None = None

  def __enter__(self) -> "RestStandIn":
    models = self.models

    class Handler(http.server.BaseHTTPRequestHandler):
      def do_GET(self):  # pylint: disable=invalid-name
        self._answer(lambda: _get(models, self.path))

      def do_POST(self):  # pylint: disable=invalid-name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(lambda: _post(models, self.path, body))

      def _answer(self, respond):
        try:
          status, text = 200, respond()
        except StandInError as error:
          status, text = _HTTP_STATUS.get(error.code, 500), json.dumps({"error": error.message})
        payload = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

      def log_message(self, *args):  # quiet
        pass

    self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    self._server.daemon_threads = True
    self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
    self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
    self._thread.start()
    return self

  def __exit__(self, *exc_info) -> None:
    self._server.shutdown()
    self._server.server_close()
    self._thread.join()


def _target(models: ServedModels, name: str, version: str | None, label: str | None) -> tuple[str, int]:
  name = urllib.parse.unquote(name)
  return name, models.resolve(name, int(version) if version else None, urllib.parse.unquote(label) if label else None)


def _get(models: ServedModels, path: str) -> str:
  match = _STATUS_PATH.fullmatch(urllib.parse.urlsplit(path).path)
  if not match:
    raise StandInError(grpc.StatusCode.NOT_FOUND, f"Malformed request: GET {path}")
  name, version, label, subresource = match.groups()
  if not name:
    raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, "Missing model name in request.")
  models.check_available()
  if subresource != "metadata":
    name = urllib.parse.unquote(name)
    status = models.status(name, int(version) if version else None, label)
    return json_format.MessageToJson(status, **_JSON_OPTIONS)
  name, number = _target(models, name, version, label)
  spec = model_pb2.ModelSpec(name=name)
  spec.version.value = number
  # As the server writes it (http_rest_api_util.cc): the model spec and the unpacked signature defs, printed apart.
  options = {**_JSON_OPTIONS, "preserving_proto_field_name": True}
  return ('{\n"model_spec":' + json_format.MessageToJson(spec, **options) + ',\n"metadata": {"signature_def": '
          + json_format.MessageToJson(models.signature_defs(name, number), **options) + "}\n}\n")


def _post(models: ServedModels, path: str, body: bytes) -> str:
  match = _PREDICT_PATH.fullmatch(urllib.parse.urlsplit(path).path)
  if not match:
    raise StandInError(grpc.StatusCode.NOT_FOUND, f"Malformed request: POST {path}")
  name, version, label, method = match.groups()
  if method.lower() != "predict":
    raise StandInError(grpc.StatusCode.UNIMPLEMENTED, f"The stand-in serves predict only, not {method}.")
  models.check_available()
  name, number = _target(models, name, version, label)
  try:
    request = json.loads(body)
  except ValueError as error:
    raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"JSON Parse error: {error}") from None
  if not isinstance(request, dict):
    raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"JSON Value: {body[:100]!r} Is not object")
  signature = request.get("signature_name", DEFAULT_SIGNATURE)
  if not isinstance(signature, str):
    raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"JSON Value: {json.dumps(signature)} not formatted "
                       "correctly. 'signature_name' key must be a string value.")
  if ("instances" in request) == ("inputs" in request):
    raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, "Missing 'inputs' or 'instances' key" if "inputs" not in
                       request else "Not formatted correctly expecting only one of 'inputs' or 'instances' keys exists")
  declared = models.signature_inputs(name, number, signature)
  row = "instances" in request
  columns = _row_columns(request["instances"], declared) if row else _named(request["inputs"], declared)
  inputs = {alias: _tensor(alias, values, declared.get(alias, tf.string)) for alias, values in columns.items()}
  outputs = {key: _json_values(key, values) for key, values in sorted(
      models.predict(name, number, signature, inputs).items())}
  if row:
    size = len(next(iter(outputs.values())))
    rows = next(iter(outputs.values())) if len(outputs) == 1 else [
        {key: values[i] for key, values in outputs.items()} for i in range(size)]
    return json.dumps({"predictions": rows})
  return json.dumps({"outputs": next(iter(outputs.values())) if len(outputs) == 1 else outputs})


def _row_columns(instances: Any, declared: dict) -> dict[str, list]:
  if not isinstance(instances, list) or not instances:
    raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, "Expected 'instances' to be a non-empty list/array")
  if all(isinstance(item, dict) and not _is_b64(item) for item in instances):
    names = set(instances[0])
    if any(set(item) != names for item in instances):
      raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, "Failed to process element: 1 key: of 'instances' list. "
                         "Error: every instance must have the same named inputs")
    return {name: [item[name] for item in instances] for name in names}
  return _named(instances, declared)


def _named(value: Any, declared: dict) -> dict[str, Any]:
  if isinstance(value, dict) and not _is_b64(value):
    return value
  if len(declared) != 1:
    raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"Signature takes {len(declared)} inputs "
                       f"({', '.join(sorted(declared))}): name each input.")
  return {next(iter(declared)): value}


def _is_b64(value: Any) -> bool:
  return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def _leaves(value: Any, dtype: tf.DType) -> Any:
  if isinstance(value, list):
    return [_leaves(item, dtype) for item in value]
  if _is_b64(value):
    if dtype != tf.string:
      raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"JSON Value: {json.dumps(value)} Type: Object is not of "
                         f"expected type: {dtype.name}")
    try:
      return base64.b64decode(value["b64"], validate=True)
    except ValueError:
      raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, "Unable to base64 decode") from None
  if dtype == tf.string:
    if not isinstance(value, str):
      raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"JSON Value: {json.dumps(value)} Type: "
                         f"{type(value).__name__} is not of expected type: string")
    return value.encode("utf-8")
  wanted = int if dtype.is_integer else (int, float)
  if isinstance(value, bool) or not isinstance(value, wanted):
    raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"JSON Value: {json.dumps(value)} Type: "
                       f"{type(value).__name__} is not of expected type: {dtype.name}")
  return value


def _tensor(alias: str, value: Any, dtype: tf.DType) -> np.ndarray:
  leaves = _leaves(value, dtype)
  try:
    if dtype == tf.string:
      array = np.array(leaves, dtype=object)
      if any(not isinstance(item, bytes) for item in array.reshape(-1)):
        raise ValueError("ragged")
      return array
    return np.array(leaves, dtype=dtype.as_numpy_dtype)
  except (ValueError, OverflowError) as error:
    raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"Input {alias}: lists of unequal sizes or values out of "
                       f"range for {dtype.name} ({error})") from None


def _json_values(name: str, values: np.ndarray) -> Any:
  if values.dtype == object:  # strings
    as_bytes = name.endswith("_bytes")
    flat = [{"b64": base64.b64encode(v).decode("ascii")} if as_bytes else v.decode("utf-8") for v in values.ravel()]
    return np.array(flat, dtype=object).reshape(values.shape).tolist()
  if values.dtype.kind == "f":  # as the server prints floats: the shortest text that reads back the same float32
    return np.vectorize(lambda v: float(str(v)), otypes=[object])(values.astype(np.float32)).tolist()
  return values.tolist()
