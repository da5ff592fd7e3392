"""What the stand-ins serve: a serving repository loaded as TF Serving loads it from `models.config`.

The stand-ins (`RestStandIn`, `GrpcStandIn`) stand in for TF Serving in tests: its server binary does not install
with pip (users run the `tensorflow/serving` container). They speak the real REST JSON and the real gRPC protos and
answer by executing the exported SavedModels' signatures; they are not TF Serving. `ServedModels` does what the
server does with the repository: it reads `models.config` (the real `ModelServerConfig` proto), maps each
`base_path` into the repository as a `docker -v OUT/serving:/models` mount would, loads the versions the version
policy names, refuses labels on versions it has not loaded, and replays each version's warmup requests (as
`--enable_model_warmup` does) before serving it.
"""

from __future__ import annotations

import os
import threading
import time

from google.protobuf import text_format
import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2
from tensorflow_serving.config import model_server_config_pb2

from export.serving import warmup_requests
from tests.serving.stand_in_error import StandInError

DEFAULT_SIGNATURE = "serving_default"


class ServedModels:
  """The models of a serving repository, loaded per its `models.config`.

  Args:
    serving_dir: the repository (`OUT/serving`), as mounted into the server.
    mount_point: where the server sees `serving_dir` (the `base_path` prefix in `models.config`).
  """

  def __init__(self, serving_dir: str, mount_point: str = "/models"):
    with open(os.path.join(serving_dir, "models.config"), encoding="utf-8") as f:
      config = text_format.Parse(f.read(), model_server_config_pb2.ModelServerConfig())
    self.loaded: dict[str, dict[int, tuple]] = {}  # name -> version -> (loaded SavedModel, SignatureDefMap)
    self.labels: dict[str, dict[str, int]] = {}
    self.warmup_requests_run = 0
    self._unavailable = 0
    self._delay = 0.0
    self._lock = threading.Lock()
    for entry in config.model_config_list.config:
      if not entry.base_path.startswith(mount_point.rstrip("/") + "/"):
        raise ValueError(f"base_path {entry.base_path} is outside the mount point {mount_point}")
      local = os.path.join(serving_dir, os.path.relpath(entry.base_path, mount_point))
      self.loaded[entry.name] = {}
      for version in _policy_versions(entry, local):
        self._load(entry.name, version, os.path.join(local, str(version)))
      for label, version in entry.version_labels.items():
        if version not in self.loaded[entry.name]:
          raise ValueError(f"label {label} of {entry.name} names version {version}, which is not loaded")
      self.labels[entry.name] = dict(entry.version_labels)

  def refuse_next(self, count: int) -> None:
    """Makes the next `count` requests fail as UNAVAILABLE, as a starting or overloaded server answers."""
    with self._lock:
      self._unavailable = count

  def answer_after(self, seconds: float) -> None:
    """Makes every request wait this long before it is served, as an overloaded server does."""
    self._delay = seconds

  def check_available(self) -> None:
    """Called first by every request: refuses it or holds it back when told to."""
    with self._lock:
      refused = self._unavailable > 0
      self._unavailable -= refused
    if refused:
      raise StandInError(grpc.StatusCode.UNAVAILABLE, "Stand-in: the server is not ready (refused on purpose)")
    time.sleep(self._delay)

  def resolve(self, name: str, version: int | None = None, label: str | None = None) -> int:
    """The version a request for `name` (and `version` or `label`) goes to, with TF Serving's errors."""
    if version is not None and label is not None:
      raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"Both model version ({version}) and model version label "
                         f"({label}) cannot be supplied.")
    versions = self.loaded.get(name, {})
    if label is not None:
      if label not in self.labels.get(name, {}):
        raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"Unrecognized servable version label: {label}")
      return self.labels[name][label]
    if version is None:
      if not versions:
        raise StandInError(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: Latest({name})")
      return max(versions)
    if version not in versions:
      raise StandInError(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: Specific({name}, {version})")
    return version

  def signature_inputs(self, name: str, version: int, signature: str) -> dict[str, tf.DType]:
    """{input name: dtype} of a signature of a loaded version."""
    definitions = self.loaded[name][version][1].signature_def
    if signature not in definitions:
      raise StandInError(grpc.StatusCode.INVALID_ARGUMENT,
                         f'Serving signature name: "{signature}" not found in signature def')
    return {alias: tf.dtypes.as_dtype(info.dtype) for alias, info in definitions[signature].inputs.items()}

  def predict(self, name: str, version: int, signature: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Runs a signature of a loaded version on named input arrays; returns its outputs."""
    declared = self.signature_inputs(name, version, signature)
    if set(inputs) != set(declared):
      raise StandInError(grpc.StatusCode.INVALID_ARGUMENT,
                         f"input tensor alias not found in signature: {', '.join(sorted(set(inputs) - set(declared)))}"
                         f". Inputs expected to be in the set {{{','.join(sorted(declared))}}}.")
    for alias, values in inputs.items():
      if tf.dtypes.as_dtype(values.dtype) != declared[alias]:
        raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, f"Expects arg[{alias}] to be {declared[alias].name} but "
                           f"{tf.dtypes.as_dtype(values.dtype).name} is provided")
    function = self.loaded[name][version][0].signatures[signature]
    try:
      outputs = function(**{alias: tf.constant(values) for alias, values in inputs.items()})
    except (tf.errors.InvalidArgumentError, ValueError, TypeError) as error:
      raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, str(error).splitlines()[0]) from None
    return {key: value.numpy() for key, value in outputs.items()}

  def signature_defs(self, name: str, version: int) -> get_model_metadata_pb2.SignatureDefMap:
    return self.loaded[name][version][1]

  def status(self, name: str, version: int | None = None,
             label: str | None = None) -> get_model_status_pb2.GetModelStatusResponse:
    """The `GetModelStatusResponse` of a model: every loaded version, or the one asked for."""
    if name not in self.loaded:
      raise StandInError(grpc.StatusCode.NOT_FOUND, f"Could not find any versions of model {name}")
    versions = [self.resolve(name, version, label)] if version is not None or label is not None else sorted(
        self.loaded[name])
    response = get_model_status_pb2.GetModelStatusResponse()
    for number in versions:
      entry = response.model_version_status.add(version=number, state=get_model_status_pb2.ModelVersionStatus.AVAILABLE)
      entry.status.SetInParent()  # error_code OK, as the server reports a loaded version
    return response

  def _load(self, name: str, version: int, path: str) -> None:
    loaded = tf.saved_model.load(path)
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
      saved_model.ParseFromString(f.read())
    signature_defs = get_model_metadata_pb2.SignatureDefMap()
    for key, definition in saved_model.meta_graphs[0].signature_def.items():
      signature_defs.signature_def[key].CopyFrom(definition)
    self.loaded[name][version] = (loaded, signature_defs)
    for log in warmup_requests.read_warmup_requests(path):  # a failing warmup request fails the load, as in TF Serving
      request = log.predict_log.request
      self.predict(name, version, request.model_spec.signature_name or DEFAULT_SIGNATURE,
                   {alias: tf.make_ndarray(tensor) for alias, tensor in request.inputs.items()})
      self.warmup_requests_run += 1


def _policy_versions(entry: model_server_config_pb2.ModelConfig, local: str) -> list[int]:
  """The versions TF Serving loads under the entry's version policy (default: the newest one)."""
  on_disk = sorted(int(name) for name in os.listdir(local) if name.isdigit()) if os.path.isdir(local) else []
  policy = entry.model_version_policy
  if policy.HasField("specific"):
    return [version for version in on_disk if version in policy.specific.versions]
  if policy.HasField("all"):
    return on_disk
  return on_disk[-(policy.latest.num_versions or 1):]
