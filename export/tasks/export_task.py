"""What an export needs to know of one kind of model: the protocol `Exporter` asks its task through.

`Exporter` owns what every export does alike: staging and publishing, the converter processes, the gates' order,
the report. A task owns what depends on the model's kind: its test examples and calibration inputs, the Keras
reference logits and the figures measured against them, the SavedModel's signatures and their check, the function
the converter sees, what runs a `.tflite` file, and the metadata beside it. `task_for` (`export/tasks/__init__.py`)
picks the task of a model directory once.
"""

from __future__ import annotations

import functools
import os

import keras
import numpy as np
import tensorflow as tf

from edge.model_metadata import ModelMetadata
from export.serving import serving_versions
from export import verification
from export.artifact_result import ArtifactResult
from export.export_config import ExportConfig
from export.tflite.tflite_conversion import write_conversion_saved_model
from export.tflite.tflite_modes import TfliteMode
from export.verification_set import VerificationSet
from tfmodels import data as data_lib
from tfmodels.training.model_artifact import ModelArtifact

# The figures every artifact of a report has (null when it could not be measured).
FIGURES = ("size_bytes", "num_examples", "accuracy", "reference_accuracy", "top1_agreement", "max_abs_logit_error",
           "mean_abs_logit_error")


class ExportTask:
  """The kind-dependent half of an export (see the module docstring); subclasses fill in the hooks.

  Args:
    artifact: the trained model directory.
    config: the export's settings.
    name: the export's name (`<dataset>_<architecture>`).
  """

  # Figures every artifact of the report has (null when it could not be measured).
  figure_names: tuple[str, ...] = FIGURES
  # The signatures of the conversion SavedModel that go into each `.tflite` file.
  conversion_signatures: tuple[str, ...] = ("serving_default",)

  def __init__(self, artifact: ModelArtifact, config: ExportConfig, name: str):
    self.artifact = artifact
    self.config = config
    self.name = name
    self.data_config = artifact.data_config(config.dataset)  # training data that has moved stops the export here
    self.gates = config.gates.for_kind(artifact.kind)
    self.lstm_graph = config.lstm_graph if artifact.model_name == "lstm" else None

  @functools.cached_property
  def dataset(self) -> data_lib.LoadedDataset:
    return self.artifact.load_dataset(self.config.dataset)

  # Test examples, calibration and the figures against Keras.

  def test_set(self) -> VerificationSet:
    """The test examples every artifact is verified on, streamed a chunk at a time."""
    raise NotImplementedError

  def calibration_inputs(self) -> np.ndarray:
    """A fixed sample of the training split as model inputs, for the `full_int8` converter."""
    raise NotImplementedError

  def reference_logits(self, model, test_set: VerificationSet) -> np.ndarray:
    """The Keras model's logits on the test examples, which every artifact is measured against."""
    raise NotImplementedError

  def figures(self, logits: np.ndarray, reference_logits: np.ndarray, labels: np.ndarray) -> dict:
    """The figures of an artifact's logits against Keras'."""
    raise NotImplementedError

  def output_failures(self, outputs: dict[str, np.ndarray]) -> list[str]:
    """What is wrong with the named outputs of a serving signature."""
    raise NotImplementedError

  def report_header(self, model, test_set: VerificationSet, reference_logits: np.ndarray) -> dict:
    """The report's description of the model, data and gates (the artifacts follow)."""
    artifact = self.artifact
    labels = test_set.labels
    model_info = {"name": self.name, "architecture": artifact.model_name, "kind": artifact.kind,
                  "model_dir": os.path.abspath(artifact.model_dir), "parameters": int(model.count_params()),
                  "labels": list(artifact.label_names), "lstm_graph": self.lstm_graph}
    if self.lstm_graph:
      model_info["lstm_graph_note"] = (
          "fused UNIDIRECTIONAL_SEQUENCE_LSTM ops; their state lives in variable tensors, so a runtime resets the "
          "interpreter's variables before each input" if self.lstm_graph == "fused" else
          f"unrolled over {artifact.config.data.sequence_length} steps without a mask (one set of builtin ops per "
          "step, run by XNNPACK)")
    predicted = reference_logits.argmax(axis=-1)
    return {
        "model": model_info,
        "dataset": {"name": test_set.dataset_name, "split": "test", "num_examples": test_set.num_examples,
                    "test_examples": test_set.available, "calibration_split": "train",
                    "calibration_samples": self.config.calibration_samples},
        "reference_accuracy": float((predicted == labels).mean()) if len(labels) else 0.0,
        "gates": self.gates.to_dict(),
        "modes": [mode.name for mode in self.config.modes],
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "artifacts": [],
        "seconds": {},
    }

  # The SavedModel.

  def signature_names(self) -> tuple[str, ...]:
    raise NotImplementedError

  def write_saved_model(self, model, staged: str, test_set: VerificationSet, reference_logits: np.ndarray,
                        errors: dict, warmup_batch_sizes: list[int]) -> list[ArtifactResult]:
    """Writes the serving SavedModel into `staged` and verifies each signature; when all pass, adds the warmup
    requests (at every batch size the server's batching pads to). Returns one result per signature."""
    raise NotImplementedError

  def verify_signature(self, signature, inputs_of, test_set: VerificationSet, reference_logits: np.ndarray,
                       errors: dict, result: ArtifactResult) -> ArtifactResult:
    """Runs a serving signature on every chunk of the test examples (`inputs_of(features, inputs)` gives what it
    takes); checks its outputs and gates its figures as float32."""
    name = next(iter(signature.structured_input_signature[1]))
    outputs = test_set.collect(lambda features, inputs: verification.run_signature(
        signature, name, inputs_of(features, inputs)))
    failures = self.output_failures(outputs)
    figures = self.figures(outputs["logits"], reference_logits, test_set.labels) if not failures else {}
    if figures:
      failures += self.gates.check("float32", figures)
      errors[result.label] = verification.per_example_errors(outputs["logits"], reference_logits)
    return result.record(**figures, input=name, outputs=sorted(outputs)).gated(failures)

  @staticmethod
  def loaded(staged: str):
    """The SavedModel in `staged`, loaded, and its size in bytes."""
    return tf.saved_model.load(staged), serving_versions.directory_size(staged)

  # The `.tflite` files.

  def conversion_function(self, model):
    """The function the converter sees, and its input spec (a one-signature conversion)."""
    raise NotImplementedError

  def write_conversion_model(self, model, path: str) -> None:
    """Writes the SavedModel the converter reads."""
    write_conversion_saved_model(*self.conversion_function(model), path)

  def write_integer_conversion_model(self, model, path: str) -> bool:
    """Writes a SavedModel of its own for the integer-only modes where they need another graph; returns whether it
    did (by default the graph is the same for every mode)."""
    del model, path
    return False

  def write_representative(self, calibration: np.ndarray, work_dir: str) -> str:
    """Writes the calibration inputs where the conversion subprocess reads them; returns the path."""
    path = os.path.join(work_dir, "representative.npy")
    np.save(path, calibration)
    return path

  def tflite_runner(self, path: str):
    """What runs a converted file on the test examples (`verification.GateRunner`'s interface)."""
    raise NotImplementedError

  def tflite_inputs(self, inputs: np.ndarray) -> np.ndarray:
    """Model inputs as a `.tflite` file takes them."""
    return inputs

  def any_batch_size(self, runner) -> bool:
    """Whether the file of `runner` takes any batch size, so that the gate also runs it at `BATCH_CHECK_SIZE`."""
    return runner.any_batch_size

  def micro_check(self, path: str, runner, test_set: VerificationSet, logits: np.ndarray) -> dict:
    """The `full_int8` file on TensorFlow Lite Micro's interpreter (`micro_check`)."""
    raise NotImplementedError

  def metadata(self, mode: TfliteMode, runner, result: ArtifactResult) -> ModelMetadata:
    """The metadata written beside a verified `.tflite` file."""
    raise NotImplementedError

  def finish_tflite(self, mode: TfliteMode, result: ArtifactResult) -> ArtifactResult:
    """Checks of a published, verified `.tflite` file beyond the gates (none by default); returns the result."""
    del mode
    return result

  def source(self, result: ArtifactResult) -> dict:
    """Where a `.tflite` file comes from, for its metadata."""
    artifact = self.artifact
    return {"model_dir": os.path.abspath(artifact.model_dir), "dataset": artifact.dataset_name,
            "config": artifact.config.to_dict(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "lstm_graph": self.lstm_graph, "variable_tensors": result.values["ops"]["variable_tensors"]}
