"""Reads TF Serving's answers in their JSON form (the REST API's, which is also how the gRPC protos print as JSON).

Both clients go through these functions: the REST client with the JSON it receives, the gRPC client with its
response protos printed by `google.protobuf.json_format` as the server prints them for REST.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

_INTERNAL_SIGNATURE_PREFIX = "__"  # `__saved_model_init_op`: TensorFlow's own, not a serving signature


def model_version(metadata: dict) -> int | None:
  """The version a `GetModelMetadataResponse` (as JSON) describes."""
  version = metadata.get("model_spec", {}).get("version")
  return int(version) if version not in (None, "") else None


def signatures(signature_def_map: dict) -> dict[str, dict]:
  """{signature: {"inputs": {name: {"dtype", "shape"}}, "outputs": {...}}} from a `SignatureDefMap` as JSON.

  `dtype` is TensorFlow's enum name (e.g. `DT_UINT8`); `shape` lists the dimensions, -1 where any size goes, or is
  None when even the rank is unknown.
  """
  described = {}
  for name, signature in sorted(signature_def_map.get("signature_def", {}).items()):
    if name.startswith(_INTERNAL_SIGNATURE_PREFIX):
      continue
    described[name] = {side: {alias: {"dtype": info.get("dtype", "DT_INVALID"), "shape": _shape(info)}
                              for alias, info in sorted(signature.get(side, {}).items())}
                       for side in ("inputs", "outputs")}
  return described


def version_status(status: dict) -> list[dict]:
  """[{"version", "state", "error"}] from a `GetModelStatusResponse` as JSON, oldest version first."""
  return sorted(({"version": int(entry.get("version", 0)), "state": entry.get("state", "UNKNOWN"),
                  "error": entry.get("status", {}).get("error_message", "")}
                 for entry in status.get("model_version_status", [])), key=lambda entry: entry["version"])


def prediction_columns(response: dict) -> dict[str, np.ndarray]:
  """{output name: values, first axis the batch} from a REST predict answer, row (`predictions`) or columnar
  (`outputs`); `{"b64": ...}` values become bytes, and a single unnamed output is called `output`."""
  if "predictions" in response:
    rows = response["predictions"]
    if rows and all(isinstance(row, dict) and not _is_b64(row) for row in rows):
      columns = {name: [row[name] for row in rows] for name in rows[0]}
    else:
      columns = {"output": rows}
  elif "outputs" in response:
    outputs = response["outputs"]
    columns = outputs if isinstance(outputs, dict) and not _is_b64(outputs) else {"output": outputs}
  else:
    raise ValueError(f"not a predict answer: it has neither 'predictions' nor 'outputs' (keys: {sorted(response)})")
  return {name: _array(_decoded(values)) for name, values in columns.items()}


def _shape(info: dict) -> list[int] | None:
  shape = info.get("tensor_shape", {})
  if shape.get("unknown_rank"):
    return None
  return [int(dim.get("size", -1)) for dim in shape.get("dim", [])]


def _is_b64(value: Any) -> bool:
  return isinstance(value, dict) and set(value) == {"b64"} and isinstance(value["b64"], str)


def _decoded(value: Any) -> Any:
  if _is_b64(value):
    return base64.b64decode(value["b64"])
  if isinstance(value, list):
    return [_decoded(item) for item in value]
  return value


def _array(values: Any) -> np.ndarray:
  array = np.asarray(values)
  # numpy's fixed-width bytes type drops trailing zero bytes: keep bytes as objects.
  return np.array(values, dtype=object) if array.dtype.kind == "S" else array
