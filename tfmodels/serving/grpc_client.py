"""A TF Serving gRPC client: `PredictionService/Predict` and `GetModelMetadata`, `ModelService/GetModelStatus`.

  with GrpcClient("localhost:8500", ModelTarget("rotten_tomatoes_transformer")) as client:
    client.predict(["a gorgeous, witty, seductive movie"])["classes"]   # array(['positive'])

Uses the request and response protos of `tensorflow-serving-api` (which need TensorFlow for their tensor protos).
Inputs are cast to the dtypes the signature declares, which the client reads once from the model's metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2, model_pb2, model_service_pb2_grpc,
                                     predict_pb2, prediction_service_pb2_grpc)

from tfmodels.serving import server_responses
from tfmodels.serving import serving_error
from tfmodels.serving.model_target import ModelTarget
from tfmodels.serving.retry_policy import RetryPolicy
from tfmodels.serving.serving_error import ServingError

_DEFAULT_SIGNATURE = "serving_default"
# Images and batches can exceed gRPC's default 4 MB per message.
_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_KINDS = {
    grpc.StatusCode.UNAVAILABLE: serving_error.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: serving_error.TIMEOUT,
    grpc.StatusCode.NOT_FOUND: serving_error.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT: serving_error.BAD_REQUEST,
    grpc.StatusCode.FAILED_PRECONDITION: serving_error.BAD_REQUEST,
    grpc.StatusCode.OUT_OF_RANGE: serving_error.BAD_REQUEST,
}


class GrpcClient:
  """Talks to one model on a TF Serving gRPC port.

  Args:
    target_address: `HOST:PORT` of the gRPC API, e.g. `localhost:8500`.
    target: the model and version (or label) to ask.
    timeout: seconds to wait for each answer (the call's deadline).
    retry: how to retry while the server does not answer yet or is UNAVAILABLE.
  """

  def __init__(self, target_address: str, target: ModelTarget, *, timeout: float = 10.0,
               retry: RetryPolicy = RetryPolicy()):
    if "://" in target_address or ":" not in target_address:
      raise ServingError(f"--grpc={target_address}: give HOST:PORT of the gRPC API, e.g. localhost:8500 (for the REST "
                         "API use --server=http://HOST:PORT).", serving_error.INVALID)
    if timeout <= 0:
      raise ServingError(f"--timeout={timeout}: give a number of seconds > 0.", serving_error.INVALID)
    self.address = target_address
    self.target = target
    self.timeout = timeout
    self.retry = retry
    self._channel = grpc.insecure_channel(target_address, options=[
        ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES), ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES)])
    self._predictions = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
    self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)
    self._signatures: dict | None = None

  def __enter__(self) -> "GrpcClient":
    return self

  def __exit__(self, *exc_info) -> None:
    self.close()

  def close(self) -> None:
    self._channel.close()

  def predict(self, inputs: Any, signature: str | None = None) -> dict[str, np.ndarray]:
    """Runs a signature on a batch; returns {output name: values, first axis the batch}.

    Args:
      inputs: the signature's only input as a list or array (first axis the batch), or {input name: that}.
      signature: the signature to run (default: `serving_default`).

    String outputs come back as `str`, except those whose name ends in `_bytes` (as the REST API treats them).
    """
    signature = signature or _DEFAULT_SIGNATURE
    declared = self._signature_inputs(signature)
    if not isinstance(inputs, Mapping):
      if len(declared) != 1:
        raise ServingError(f"Signature {signature} takes several inputs ({', '.join(declared)}): give them by name.",
                           serving_error.INVALID)
      inputs = {next(iter(declared)): inputs}
    request = predict_pb2.PredictRequest(model_spec=self._model_spec(signature))
    for name, values in inputs.items():
      dtype = tf.dtypes.as_dtype(declared[name]) if name in declared else None
      try:
        request.inputs[name].CopyFrom(tf.make_tensor_proto(_tensor_values(values), dtype=dtype))
      except (TypeError, ValueError) as error:
        raise ServingError(f"Input {name} of signature {signature} cannot be made a {dtype.name if dtype else ''} "
                           f"tensor ({error}).", serving_error.INVALID) from None
    response = self._call(self._predictions.Predict, request)
    return {name: _output_array(name, tf.make_ndarray(tensor)) for name, tensor in sorted(response.outputs.items())}

  def status(self) -> list[dict]:
    """The versions the server has for the model, with their state (e.g. AVAILABLE), oldest first."""
    request = get_model_status_pb2.GetModelStatusRequest(model_spec=self._model_spec())
    response = self._call(self._models.GetModelStatus, request)
    return server_responses.version_status(json_format.MessageToDict(response))

  def metadata(self) -> dict:
    """{"model", "version", "signatures": {name: {"inputs", "outputs"}}} of the version that answers."""
    version, signature_defs = self._signature_defs()
    as_json = json_format.MessageToDict(signature_defs, preserving_proto_field_name=True)
    return {"model": self.target.name, "version": version, "signatures": server_responses.signatures(as_json)}

  def _signature_defs(self) -> tuple[int | None, get_model_metadata_pb2.SignatureDefMap]:
    request = get_model_metadata_pb2.GetModelMetadataRequest(model_spec=self._model_spec(),
                                                             metadata_field=["signature_def"])
    response = self._call(self._predictions.GetModelMetadata, request)
    signature_defs = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(signature_defs)
    return (response.model_spec.version.value if response.model_spec.HasField("version") else None), signature_defs

  def _signature_inputs(self, signature: str) -> dict[str, int]:
    """{input name: dtype enum} of a signature, from the model's metadata (read once)."""
    if self._signatures is None:
      self._signatures = {name: {alias: info.dtype for alias, info in definition.inputs.items()}
                          for name, definition in self._signature_defs()[1].signature_def.items()}
    if signature not in self._signatures:
      known = ", ".join(sorted(name for name in self._signatures if not name.startswith("__")))
      raise ServingError(f"{self.target} has no signature {signature} (signatures: {known}).",
                         serving_error.BAD_REQUEST)
    return self._signatures[signature]

  def _model_spec(self, signature: str = "") -> model_pb2.ModelSpec:
    spec = model_pb2.ModelSpec(name=self.target.name, signature_name=signature)
    if self.target.version is not None:
      spec.version.value = self.target.version
    elif self.target.label is not None:
      spec.version_label = self.target.label
    return spec

  def _call(self, method, request):
    def attempt():
      try:
        return method(request, timeout=self.timeout)
      except grpc.RpcError as error:
        raise self._error(error) from None

    return self.retry.call(attempt)

  def _error(self, error: grpc.RpcError) -> ServingError:
    code, message = error.code(), error.details() or ""
    kind = _KINDS.get(code, serving_error.SERVER)
    if kind == serving_error.UNAVAILABLE and any(
        hint in message.lower() for hint in ("connect", "refused", "unreachable", "dns")):
      return ServingError(f"Cannot connect to TF Serving's gRPC API at {self.address} ({message}). Is the server "
                          "running with its gRPC port published (docker run -p 8500:8500 ...)? Check --grpc.",
                          serving_error.CONNECTION, message)
    advice = {
        serving_error.UNAVAILABLE: "it is starting, loading the model, or its batching queue is full. Try again "
                                   "later, or give more --retries.",
        serving_error.TIMEOUT: f"no answer within {self.timeout:g} s. Give a longer --timeout, or send smaller "
                               "batches.",
        serving_error.NOT_FOUND: "check the name and the version or label: models.config lists the models and "
                                 "labels, and --status the versions the server has loaded.",
        serving_error.BAD_REQUEST: "check the signature and the inputs (--metadata lists each signature's inputs "
                                   "with their dtypes and shapes) and that a label is in models.config.",
        serving_error.SERVER: "the server failed.",
    }[kind]
    return ServingError(f"TF Serving at {self.address} answered {code.name} for {self.target} ({message}): {advice}",
                        kind, message)


def _tensor_values(values: Any) -> np.ndarray:
  """Values as an array for `tf.make_tensor_proto`: texts as UTF-8 bytes (a string tensor holds bytes), bytes whole
  (numpy's fixed-width bytes type would drop trailing zero bytes)."""
  if isinstance(values, np.ndarray) and values.dtype.kind not in "OUS":
    return values
  array = np.asarray(values, dtype=object)
  flat = array.reshape(-1)
  if not any(isinstance(value, (str, bytes)) for value in flat):
    return np.asarray(values)
  return np.array([value.encode("utf-8") if isinstance(value, str) else value for value in flat],
                  dtype=object).reshape(array.shape)


def _output_array(name: str, values: np.ndarray) -> np.ndarray:
  if values.dtype == object and not name.endswith("_bytes"):
    return np.vectorize(lambda value: value.decode("utf-8", "replace"), otypes=[object])(values).astype(str)
  return values
