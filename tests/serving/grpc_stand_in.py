"""A stand-in for TF Serving's gRPC API in tests (not the server): the real services and protos, real SavedModels.

Implements `tensorflow.serving.PredictionService` (`Predict`, `GetModelMetadata`) and `ModelService`
(`GetModelStatus`) from `tensorflow-serving-api`'s generated servicers, answering with TF Serving's status codes.
"""

from __future__ import annotations

import concurrent.futures

import grpc
import tensorflow as tf
from tensorflow_serving.apis import (get_model_metadata_pb2, model_service_pb2_grpc, predict_pb2,
                                     prediction_service_pb2_grpc)

from tests.serving.served_models import DEFAULT_SIGNATURE, ServedModels
from tests.serving.stand_in_error import StandInError


class GrpcStandIn:
  """Serves `models` over gRPC on a free local port while used as a context manager (`address` is HOST:PORT)."""

  def __init__(self, models: ServedModels):
    self.models = models
    self.address = ""
    self._server: grpc.Server | None = None

  def __enter__(self) -> "GrpcStandIn":
    self._server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(_PredictionService(self.models), self._server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(_ModelService(self.models), self._server)
    port = self._server.add_insecure_port("127.0.0.1:0")
    self._server.start()
    self.address = f"127.0.0.1:{port}"
    return self

  def __exit__(self, *exc_info) -> None:
    self._server.stop(grace=None)


def _resolve(models: ServedModels, spec) -> int:
  return models.resolve(spec.name, spec.version.value if spec.HasField("version") else None,
                        spec.version_label or None)


class _PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
  """Predict and GetModelMetadata; Classify, Regress and MultiInference stay UNIMPLEMENTED."""

  def __init__(self, models: ServedModels):
    self.models = models

  def Predict(self, request, context):  # pylint: disable=invalid-name
    try:
      self.models.check_available()
      version = _resolve(self.models, request.model_spec)
      signature = request.model_spec.signature_name or DEFAULT_SIGNATURE
      outputs = self.models.predict(request.model_spec.name, version, signature,
                                    {alias: tf.make_ndarray(tensor) for alias, tensor in request.inputs.items()})
    except StandInError as error:
      context.abort(error.code, error.message)
    response = predict_pb2.PredictResponse()
    response.model_spec.name = request.model_spec.name
    response.model_spec.version.value = version
    response.model_spec.signature_name = signature
    for key, values in outputs.items():
      if not request.output_filter or key in request.output_filter:
        response.outputs[key].CopyFrom(tf.make_tensor_proto(values))
    return response

  def GetModelMetadata(self, request, context):  # pylint: disable=invalid-name
    try:
      self.models.check_available()
      if list(request.metadata_field) != ["signature_def"]:
        raise StandInError(grpc.StatusCode.INVALID_ARGUMENT, "Metadata field(s) not supported: "
                           f"{', '.join(request.metadata_field) or 'none given'} (only signature_def)")
      version = _resolve(self.models, request.model_spec)
    except StandInError as error:
      context.abort(error.code, error.message)
    response = get_model_metadata_pb2.GetModelMetadataResponse()
    response.model_spec.name = request.model_spec.name
    response.model_spec.version.value = version
    response.metadata["signature_def"].Pack(self.models.signature_defs(request.model_spec.name, version))
    return response


class _ModelService(model_service_pb2_grpc.ModelServiceServicer):
  """GetModelStatus; HandleReloadConfigRequest stays UNIMPLEMENTED."""

  def __init__(self, models: ServedModels):
    self.models = models

  def GetModelStatus(self, request, context):  # pylint: disable=invalid-name
    try:
      self.models.check_available()
      spec = request.model_spec
      return self.models.status(spec.name, spec.version.value if spec.HasField("version") else None,
                                spec.version_label or None)
    except StandInError as error:
      context.abort(error.code, error.message)
