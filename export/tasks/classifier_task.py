"""The export of an image or text classifier: test examples with labels, logits per example, serving signatures on
raw inputs (`saved_model_export`), and `.tflite` files of one signature."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from edge.model_metadata import ImageInfo, ModelMetadata, TextInfo
from export.serving import saved_model_export
from export import verification
from export.serving import warmup_requests
from export.artifact_result import ArtifactResult
from export.tflite.lstm_graph import fused_lstm_logits, unrolled_lstm_logits
from export.tflite.micro_check import MICRO_EXAMPLES, check_on_micro
from export.tasks.export_task import ExportTask
from export.tflite.tflite_modes import TfliteMode
from export.verification_set import VerificationSet
from tfmodels.models.lstm_classifier import LstmClassifier

_CALIBRATION_SEED = 0
_KERAS_BATCH = 512


class ClassifierTask(ExportTask):
  """Exports a classifier (`cnn`, `lstm`, `transformer`): see the module docstring."""

  def test_set(self) -> VerificationSet:
    """The first `max_examples` test examples (all by default), streamed in record order; inputs are uint8 pixels or
    int32 token ids."""
    return VerificationSet.from_split(self.dataset, "test", self.artifact.preprocessor(),
                                      limit=self.config.max_examples, chunk_size=self.config.chunk_size)

  def calibration_inputs(self) -> np.ndarray:
    """A fixed random sample of the training split, preprocessed as the model's inputs, as float32 or int32."""
    # Streamed: only the sample is kept, however large the training split.
    features, _ = self.dataset.sample_arrays("train", self.config.calibration_samples, _CALIBRATION_SEED)
    inputs = np.asarray(self.artifact.preprocessor()(features))
    return inputs.astype(np.float32 if self.artifact.kind == "image" else np.int32)

  def reference_logits(self, model: keras.Model, test_set: VerificationSet) -> np.ndarray:
    return test_set.collect(lambda features, inputs: _keras_logits(model, inputs))

  def figures(self, logits: np.ndarray, reference_logits: np.ndarray, labels: np.ndarray) -> dict:
    return verification.logit_figures(logits, reference_logits, labels)

  def output_failures(self, outputs: dict[str, np.ndarray]) -> list[str]:
    return verification.output_failures(outputs, self.artifact.label_names)

  def signature_names(self) -> tuple[str, ...]:
    return saved_model_export.signature_names(self.artifact.kind)

  def write_saved_model(self, model, staged, test_set, reference_logits, errors,
                        warmup_batch_sizes) -> list[ArtifactResult]:
    artifact = self.artifact
    saved_model_export.write_serving_saved_model(
        model, staged, kind=artifact.kind, feature_shape=artifact.feature_shape, label_names=artifact.label_names,
        vocabulary_path=artifact.vocabulary_path, sequence_length=artifact.config.data.sequence_length)
    loaded, size = self.loaded(staged)
    results = []
    for signature in self.signature_names():
      inputs_of = lambda features, inputs, signature=signature: self._signature_inputs(signature, features, inputs)
      results.append(self.verify_signature(loaded.signatures[signature], inputs_of, test_set, reference_logits,
                                           errors, ArtifactResult.saved_model(signature, size_bytes=size)))
    if all(result.passed for result in results):
      # Part of the version, so written before it is published: real test examples at every batch size the
      # server's batching pads to.
      features, inputs = test_set.head(max(warmup_batch_sizes))
      logs = warmup_requests.warmup_requests(
          self.name, {r.signature: {r.values["input"]: self._signature_inputs(r.signature, features, inputs)}
                      for r in results}, warmup_batch_sizes)
      warmup_requests.write_warmup_requests(staged, logs)
      for result in results:
        result.record(warmup_requests=len(logs))
    return results

  def _signature_inputs(self, signature: str, features: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """What serving `signature` takes for some test examples, from their raw features and model inputs."""
    if signature == "serving_bytes":
      return _png_files(inputs)
    if signature == "serving_default" and self.artifact.kind == "text":
      return features  # the texts, tokenized in the graph
    return inputs

  def conversion_function(self, model: keras.Model):
    """The function the converter sees, and its input.

    The CNN, the Transformer and the unrolled LSTM take any batch size (-1 in the file's signature: the file is
    allocated for batch 1, and `resize_tensor_input` sets another; the Transformer's feed-forward layers read its
    positions as rows for this, `TransformerEncoderBlock._residual_and_feed_forward`). The fused LSTM keeps batch 1:
    the converter fuses the LSTM only at a static batch size (with a free one it unrolls the steps, and the int8
    files grow past the size gate, to 0.38-0.43x float32).
    """
    artifact = self.artifact
    if artifact.kind == "image":
      # Float pixel values 0..255: the model casts its input to float and rescales it itself.
      return (lambda pixels: model(pixels, training=False),
              tf.TensorSpec((None, *artifact.feature_shape), tf.float32, name="pixels"))
    length = artifact.config.data.sequence_length
    if isinstance(model, LstmClassifier) and self.lstm_graph == "fused":
      return ((lambda token_ids: fused_lstm_logits(model, token_ids)),
              tf.TensorSpec((1, length), tf.int32, name="token_ids"))
    if isinstance(model, LstmClassifier):
      return ((lambda token_ids: unrolled_lstm_logits(model, token_ids)),
              tf.TensorSpec((None, length), tf.int32, name="token_ids"))
    return (lambda token_ids: model(token_ids, training=False)), tf.TensorSpec((None, length), tf.int32,
                                                                               name="token_ids")

  def tflite_runner(self, path: str) -> verification.GateRunner:
    return verification.GateRunner(path, num_threads=self.config.num_threads)

  def tflite_inputs(self, inputs: np.ndarray) -> np.ndarray:
    # An image file takes float pixel values.
    return inputs.astype(np.float32) if self.artifact.kind == "image" else inputs

  def micro_check(self, path: str, runner, test_set: VerificationSet, logits: np.ndarray) -> dict:
    """The `full_int8` file on TensorFlow Lite Micro's interpreter, against LiteRT's logits (`micro_check`)."""
    _, inputs = test_set.head(MICRO_EXAMPLES)
    check = check_on_micro(path, runner.input, runner.output, self.tflite_inputs(inputs), logits)
    return {**check.to_dict(), "summary": check.summary()}

  def metadata(self, mode: TfliteMode, runner: verification.GateRunner, result: ArtifactResult) -> ModelMetadata:
    artifact = self.artifact
    shaping = {}
    if artifact.kind == "image":
      height, width, channels = artifact.feature_shape
      shaping["image"] = ImageInfo(height=height, width=width, channels=channels, value_range=(0.0, 255.0))
    else:
      shaping["text"] = TextInfo(vocabulary=tuple(artifact.vocabulary()),
                                 sequence_length=artifact.config.data.sequence_length)
    figures = ("num_examples", "accuracy", "reference_accuracy", "top1_agreement", "max_abs_logit_error",
               "mean_abs_logit_error", "milliseconds_per_example", "size_bytes", "passed", "failures")
    entry = result.to_dict()
    return ModelMetadata(
        model_name=self.name, architecture=artifact.model_name,
        task="image_classification" if artifact.kind == "image" else "text_classification", mode=mode.name,
        labels=artifact.label_names, input=runner.input, output=runner.output, source=self.source(result),
        verification={"split": "test", **{key: entry[key] for key in figures}},
        **shaping)


def _keras_logits(model: keras.Model, inputs: np.ndarray) -> np.ndarray:
  parts = [np.asarray(model(inputs[start:start + _KERAS_BATCH], training=False), np.float32)
           for start in range(0, len(inputs), _KERAS_BATCH)]
  return np.concatenate(parts) if parts else np.zeros((0, model.num_classes), np.float32)


def _png_files(pixels: np.ndarray) -> np.ndarray:
  """Each image encoded as a PNG file (lossless: decoding gives the pixels back exactly)."""
  return np.array([tf.io.encode_png(image).numpy() for image in pixels], dtype=object)
