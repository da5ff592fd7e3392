"""TF Serving warmup requests: `<version>/assets.extra/tf_serving_warmup_requests`.

TF Serving started with `--enable_model_warmup` (on by default) replays these requests when it loads a version,
before the version becomes AVAILABLE, so the first real requests do not pay for lazy initialisation. The file is a
TFRecord of `PredictionLog` protos (at most 1000), each holding a `PredictRequest`. Here the requests are built from
real examples, for every signature, at every batch size the server's batching pads to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
MAX_RECORDS = 1000  # TF Serving reads no more


def warmup_requests(model_name: str, examples: Mapping[str, Mapping[str, np.ndarray]],
                    batch_sizes: Iterable[int]) -> list[prediction_log_pb2.PredictionLog]:
  """Builds one `PredictRequest` per signature and batch size, from real examples.

  Args:
    model_name: the model's name in `models.config`.
    examples: {signature name: {input name: examples, first axis the batch}}; a batch larger than the examples
      given repeats them.
    batch_sizes: the batch sizes to warm up.

  Raises:
    ValueError: no examples for a signature, or more than TF Serving reads.
  """
  logs = []
  for signature, inputs in examples.items():
    for batch_size in batch_sizes:
      request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature))
      for input_name, values in inputs.items():
        values = np.asarray(values)
        if not len(values):
          raise ValueError(f"No examples for input {input_name} of signature {signature}.")
        batch = values[np.arange(batch_size) % len(values)]
        request.inputs[input_name].CopyFrom(tf.make_tensor_proto(batch))
      logs.append(prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request)))
  if len(logs) > MAX_RECORDS:
    raise ValueError(f"{len(logs)} warmup requests: TF Serving reads at most {MAX_RECORDS}.")
  return logs


def write_warmup_requests(saved_model_dir: str, logs: Iterable[prediction_log_pb2.PredictionLog]) -> str:
  """Writes the requests into `saved_model_dir/assets.extra/`; returns the file's path."""
  path = os.path.join(saved_model_dir, WARMUP_FILE)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with tf.io.TFRecordWriter(path) as writer:
    for log in logs:
      writer.write(log.SerializeToString())
  return path


def read_warmup_requests(saved_model_dir: str) -> list[prediction_log_pb2.PredictionLog]:
  """The warmup requests of a SavedModel, as TF Serving reads them (none when there is no file)."""
  path = os.path.join(saved_model_dir, WARMUP_FILE)
  if not os.path.exists(path):
    return []
  return [prediction_log_pb2.PredictionLog.FromString(record.numpy()) for record in tf.data.TFRecordDataset(path)]
