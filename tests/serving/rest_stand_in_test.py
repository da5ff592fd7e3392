"""The REST stand-in speaks TF Serving's documented wire format: the README's curl requests, sent as curl sends them.

These check the stand-in (not TF Serving) against the REST API's documented JSON, so that the client tests and the
README examples rest on the real format.
"""

import base64
import json
import urllib.error
import urllib.request


def _send(server, path: str, body: dict | None = None) -> tuple[int, dict]:
  data = json.dumps(body).encode() if body is not None else None
  try:
    with urllib.request.urlopen(urllib.request.Request(server.url + path, data=data), timeout=30) as response:
      return response.status, json.loads(response.read())
  except urllib.error.HTTPError as error:
    return error.code, json.loads(error.read())


def test_the_readme_requests_answer_in_the_documented_format(rest_server, examples):
  digits = examples["digits_cnn"]
  status, answer = _send(rest_server, "/v1/models/digits_cnn:predict", {
      "signature_name": "serving_bytes", "instances": [{"b64": base64.b64encode(digits.files[0]).decode()}]})
  assert status == 200 and list(answer) == ["predictions"] and len(answer["predictions"]) == 1
  row = answer["predictions"][0]
  assert sorted(row) == ["class_ids", "classes", "logits", "probabilities"]
  assert row["classes"] == digits.classes[0] and isinstance(row["class_ids"], int) and len(row["logits"]) == 10
  status, answer = _send(rest_server, "/v1/models/digits_cnn/labels/stable:predict",
                         {"inputs": {"pixels": digits.features[:2].tolist()}})
  assert status == 200 and answer["outputs"]["classes"] == digits.classes[:2]
  status, answer = _send(rest_server, "/v1/models/rotten_tomatoes_transformer:predict",
                         {"instances": ["a gorgeous, witty, seductive movie"]})
  assert status == 200 and answer["predictions"][0]["classes"] in examples["rotten_tomatoes_transformer"].label_names


def test_status_metadata_and_errors_are_the_servers_json(rest_server):
  assert _send(rest_server, "/v1/models/digits_cnn/versions/2") == (200, {"model_version_status": [
      {"version": "2", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})
  status, metadata = _send(rest_server, "/v1/models/digits_cnn/metadata")
  assert status == 200 and metadata["model_spec"] == {"name": "digits_cnn", "signature_name": "", "version": "2"}
  pixels = metadata["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]["pixels"]
  assert pixels["dtype"] == "DT_UINT8" and [d["size"] for d in pixels["tensor_shape"]["dim"]] == ["-1", "8", "8", "1"]
  assert _send(rest_server, "/v1/models/half:predict", {"instances": [1.0]}) == (
      404, {"error": "Servable not found for request: Latest(half)"})
  status, answer = _send(rest_server, "/v1/models/digits_cnn:predict", {"instances": [1], "inputs": [1]})
  assert status == 400 and "only one of 'inputs' or 'instances'" in answer["error"]
