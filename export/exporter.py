"""Exports a trained model directory: a serving SavedModel, `.tflite` files per mode, verification and a report.

  OUT/serving/<name>/<version>/          SavedModel for TF Serving with its warmup requests (published only when it
                                         passes its gates; then `--keep` prunes older versions)
  OUT/serving/models.config              every model of the repository, with version labels (`serving_repository`)
  OUT/serving/batching_parameters.txt    TF Serving's batching parameters (written once)
  OUT/tflite/<name>_<mode>.tflite        one file per mode, builtin ops only, of the model's latest export only
  OUT/tflite/<name>_<mode>.json          its `edge.ModelMetadata`, verification figures included
  OUT/report.json, report.md             every figure of every artifact, and what failed
  OUT/accuracy_size_per_mode.png, OUT/logit_error_histogram.png

A language model (`transformer_lm`, `lstm_lm`) is exported by `LanguageModelExporter`, which `Exporter(model_dir)`
returns for such a directory: same layout, next-token and generation artifacts.

`<name>` is `<dataset>_<architecture>`, e.g. `digits_cnn`. Bad input (no trained model, an unknown mode, an existing
version without `overwrite`, a label on a missing version, an unwritable export directory, training data that has
moved, a test split without examples) raises `ExportError` or `ArtifactError` before anything is written. From then on the report is always written; a mode whose conversion
crashes or fails is reported and the other modes go on.

Memory stays flat in the size of the test split: the examples are a `VerificationSet`, streamed from the data set's
records in chunks of `chunk_size` (512) examples, read again for each artifact (Keras, each serving signature, each
`.tflite` file), preprocessed and, for `serving_bytes`, encoded as PNG files chunk by chunk. Held whole are only what
is small per example: the labels, Keras' logits, one artifact's outputs while its figures are computed, and each
artifact's per-example errors for the histogram. The figures are those of one pass over all examples.
"""

from __future__ import annotations

import concurrent.futures
import errno
import dataclasses
import functools
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping

import keras
import numpy as np
import tensorflow as tf

from edge.model_metadata import ImageInfo, ModelMetadata, TextInfo
from edge.op_delegation import OpDelegation
from export import export_report
from export import saved_model_export
from export import serving_repository
from export import serving_versions
from export import verification
from export import verification_set
from export import warmup_requests
from export import work_directories
from export.export_error import ExportError
from export.lstm_graph import LSTM_GRAPHS, fused_lstm_logits, unrolled_copy
from export.micro_check import MICRO_EXAMPLES, check_on_micro
from export.target_recommendation import recommend
from export.tflite_conversion import ConversionResult, convert_in_subprocess, write_conversion_saved_model
from export.tflite_modes import MODE_NAMES, TfliteMode, parse_modes
from export.tflite_ops import TfliteOps
from export.verification_gates import BATCH_CHECK_SIZE, VerificationGates
from export.verification_set import VerificationSet
from tfmodels import data as data_lib
from tfmodels.models.lstm_classifier import LstmClassifier
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact, is_disk_full
from tfmodels.training.writable_directory import check_writable_dir

# The figures of every artifact in the report.
_FIGURES = ("size_bytes", "num_examples", "accuracy", "reference_accuracy", "top1_agreement", "max_abs_logit_error",
            "mean_abs_logit_error")
_CALIBRATION_SEED = 0
_KERAS_BATCH = 512
# Conversions run side by side, each in its own process; more than two gains nothing on small machines.
_PARALLEL_CONVERSIONS = 2


class Exporter:
  """Exports, verifies and reports one trained model directory.

  Args:
    model_dir: a directory written by the trainer (`ModelArtifact`).
    export_dir: where the artifacts and the report go (created if missing).
    modes: TFLite modes to produce (names or a comma-separated string); default: all four.
    calibration_samples: training examples the `full_int8` converter calibrates on.
    version: serving version to write; default: 1 + the largest existing one.
    overwrite: replace an existing serving version.
    keep: once the new version is published, keep only this many newest versions (labelled ones are kept too).
    labels: {label: version} to set in `models.config` (e.g. {"canary": 4}); the version may be the one exported.
    remove_labels: labels to drop from `models.config`.
    serving_base_path: where the server sees `OUT/serving` (default: as in `models.config`, else `/models`).
    max_examples: verify on the first this many test examples only (default: the whole test split).
    dataset: the data set to verify and calibrate on instead of the training one (e.g. the training folder moved
      elsewhere); it must have the model's labels.
    gates: verification thresholds.
    lstm_graph: how an LSTM goes into TFLite: `fused` (TFLite's LSTM op) or `unrolled` (one set of ops per step).
    num_threads: LiteRT threads when running the `.tflite` files.
    chunk_size: test examples read, preprocessed and run at a time; memory grows with it, not with the test split.
    log: where progress lines go.
  """

  # Figures every artifact of the report has (null when it could not be measured).
  figure_names = _FIGURES
  # The signatures of the conversion SavedModel that go into each `.tflite` file.
  conversion_signatures: tuple[str, ...] = ("serving_default",)

  def __new__(cls, model_dir: str, *args, **kwargs):
    # A language-model directory gets the exporter of next-token models (the arguments are the same).
    if cls is Exporter and ModelArtifact.load(model_dir).config.model.is_language_model:
      from export.language_model_exporter import LanguageModelExporter  # pylint: disable=g-import-not-at-top
      return super().__new__(LanguageModelExporter)
    return super().__new__(cls)

  def __init__(self, model_dir: str, export_dir: str, *, modes: str | Iterable[str] = MODE_NAMES,
               calibration_samples: int = 200, version: int | None = None, overwrite: bool = False,
               keep: int | None = None, labels: Mapping[str, int] | None = None, remove_labels: Iterable[str] = (),
               serving_base_path: str | None = None, max_examples: int | None = None, dataset: str = "",
               gates: VerificationGates = VerificationGates(), lstm_graph: str = "fused", num_threads: int = 1,
               chunk_size: int = verification_set.CHUNK_SIZE, log: Callable[[str], None] = print):
    self.modes: tuple[TfliteMode, ...] = parse_modes(modes)
    if calibration_samples < 1:
      raise ExportError(f"--calibration_samples={calibration_samples}: give at least 1 (default 200).")
    if max_examples is not None and max_examples < 1:
      raise ExportError(f"--max_examples={max_examples}: give at least 1, or leave it out to verify on the whole "
                        "test split.")
    if chunk_size < 1:
      raise ExportError(f"chunk_size={chunk_size}: give at least 1 (default {verification_set.CHUNK_SIZE}).")
    serving_repository.check_options(keep, serving_base_path)
    if lstm_graph not in LSTM_GRAPHS:
      raise ExportError(f"Unknown --lstm_graph={lstm_graph}: use one of {', '.join(LSTM_GRAPHS)}.")
    self.artifact = ModelArtifact.load(model_dir)
    self.dataset = dataset
    self.data_config = self.artifact.data_config(dataset)  # training data that has moved stops the export here
    self.export_dir = export_dir
    self.calibration_samples = calibration_samples
    self.overwrite = overwrite
    self.max_examples = max_examples
    self.gates = gates.for_kind(self.artifact.kind)
    self.lstm_graph = lstm_graph if self.artifact.model_name == "lstm" else None
    self.num_threads = num_threads
    self.chunk_size = chunk_size
    self.log = log
    self.name = export_name(self.artifact)
    self.repository = serving_repository.ServingRepository(os.path.join(export_dir, "serving"))
    self.model_root = self.repository.model_root(self.name)
    self.tflite_dir = os.path.join(export_dir, "tflite")
    self.version = serving_versions.resolve_version(self.model_root, version, overwrite)
    self.keep = keep
    self.labels = dict(labels or {})
    self.remove_labels = tuple(remove_labels)
    self.serving_base_path = serving_base_path
    # Checked now, so that a bad label or a damaged models.config or batching file stops the export before it starts.
    self.repository.new_labels(self.name, self.labels, self.remove_labels, pending_version=self.version)
    self.batching = self.repository.batching_parameters()

  def run(self) -> dict:
    """Exports every artifact, verifies each against Keras, writes the report; returns the report.

    Gate failures do not raise: the report says `passed: false` and names each failed figure.
    """
    start = time.perf_counter()
    artifact = self.artifact
    test_set = self._test_set()
    if not test_set.num_examples:
      # Every gate would pass vacuously on nothing (and fails in `VerificationGates.check`): refuse before writing.
      raise ExportError(f"The test split of {test_set.dataset_name} has no examples, so no exported artifact can be "
                        f"verified. Give the data set a test split with examples (at least one per class), retrain "
                        f"(python tools/train.py --model_dir={artifact.model_dir} ...), then export again.")
    _check_writable(self.export_dir)
    for parent in (self.export_dir, self.model_root):
      for path in work_directories.remove_abandoned(parent):
        self.log(f"Removed {path}, left by an export that was killed.")
    model = artifact.load_model()
    reference_logits = self._reference_logits(model, test_set)
    self.log(f"Exporting {self.name} ({model.count_params():,} parameters); verifying on {test_set.num_examples} of "
             f"{test_set.available} test examples.")
    report = self._report_header(model, test_set, reference_logits)
    errors: dict[str, np.ndarray] = {}
    work_dir = work_directories.make(self.export_dir, ".tmp-export-")
    stopped: list[str] = []
    writing = "the SavedModel"
    try:
      stage = time.perf_counter()
      report["artifacts"] += self._export_saved_model(model, test_set, reference_logits, errors, work_dir)
      report["seconds"]["saved_model"] = round(time.perf_counter() - stage, 2)
      writing = "the TFLite files"
      calibration = self._calibration_inputs()
      report["artifacts"] += self._export_tflite(model, calibration, test_set, reference_logits, errors, work_dir,
                                                 report["seconds"])
    except BaseException as error:
      # The report of an export that broke off says so, and passes nothing.
      stopped = [f"export stopped: {type(error).__name__}: {_first_line(error)}"]
      if is_disk_full(error):
        stopped = [f"export stopped: no space left on the disk holding {self.export_dir} while writing {writing}"]
        published = [a for a in report["artifacts"] if a["format"] == "saved_model" and a["passed"]]
        done = (f"SavedModel version {self.version} was published before (complete and verified); no TFLite file "
                "was written" if published else "Nothing was published")
        raise ExportError(
            f"No space left on the disk holding {self.export_dir} while writing {writing}. {done}. Free some space, "
            "or export into another --export_dir, then export again.") from None
      raise
    finally:
      shutil.rmtree(work_dir, ignore_errors=True)
      for entry in report["artifacts"]:  # every entry has every figure; null when it could not be measured
        for key in self.figure_names:
          entry.setdefault(key, None)
      report["failures"] = stopped + [f"{export_report.artifact_label(a)}: {failure}" for a in report["artifacts"]
                                      for failure in a["failures"]]
      report["passed"] = bool(report["artifacts"]) and not report["failures"]
      report["recommendations"] = recommend(report["artifacts"])
      report["seconds"]["total"] = round(time.perf_counter() - start, 2)
      report["files"] = export_report.report_files(self.export_dir, artifact.kind)
      try:
        export_report.write_report(report, self.export_dir, errors)
      except OSError as error:
        if not is_disk_full(error):
          raise
        self.log(f"The report could not be written either: no space left on the disk holding {self.export_dir}.")
    self.log(f"{'Passed' if report['passed'] else 'FAILED'}: {len(report['artifacts'])} artifacts in "
             f"{report['seconds']['total']:.1f} s -> {os.path.join(self.export_dir, export_report.REPORT_MD)}")
    return report

  @functools.cached_property
  def _dataset(self) -> data_lib.LoadedDataset:
    return self.artifact.load_dataset(self.dataset)

  def _test_set(self) -> VerificationSet:
    """The first `max_examples` test examples (all by default), streamed in record order; inputs are uint8 pixels or
    int32 token ids."""
    return VerificationSet.from_split(self._dataset, "test", self.artifact.preprocessor(), limit=self.max_examples,
                                      chunk_size=self.chunk_size)

  def _reference_logits(self, model: keras.Model, test_set: VerificationSet) -> np.ndarray:
    """The Keras model's logits on the test examples, which every artifact is measured against."""
    return test_set.collect(lambda features, inputs: _keras_logits(model, inputs))

  def _figures(self, logits: np.ndarray, reference_logits: np.ndarray, labels: np.ndarray) -> dict:
    """The figures of an artifact's logits (`verification.logit_figures`)."""
    return verification.logit_figures(logits, reference_logits, labels)

  def _output_failures(self, outputs: dict[str, np.ndarray]) -> list[str]:
    """What is wrong with the named outputs of a serving signature (`verification.output_failures`)."""
    return verification.output_failures(outputs, self.artifact.label_names)

  def _report_header(self, model: keras.Model, test_set: VerificationSet, reference_logits: np.ndarray) -> dict:
    artifact = self.artifact
    labels = test_set.labels
    model_info = {"name": self.name, "architecture": artifact.model_name, "kind": artifact.kind,
                  "model_dir": os.path.abspath(artifact.model_dir), "parameters": int(model.count_params()),
                  "labels": list(artifact.label_names), "lstm_graph": self.lstm_graph}
    if self.lstm_graph:
      model_info["lstm_graph_note"] = (
          "fused UNIDIRECTIONAL_SEQUENCE_LSTM ops; their state lives in variable tensors, so a runtime resets the "
          "interpreter's variables before each input" if self.lstm_graph == "fused" else
          f"unrolled over {artifact.config.data.sequence_length} steps (one set of builtin ops per step)")
    predicted = reference_logits.argmax(axis=-1)
    return {
        "model": model_info,
        "dataset": {"name": test_set.dataset_name, "split": "test", "num_examples": test_set.num_examples,
                    "test_examples": test_set.available, "calibration_split": "train",
                    "calibration_samples": self.calibration_samples},
        "reference_accuracy": float((predicted == labels).mean()) if len(labels) else 0.0,
        "gates": self.gates.to_dict(),
        "modes": [mode.name for mode in self.modes],
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "artifacts": [],
        "seconds": {},
    }

  def _export_saved_model(self, model, test_set, reference_logits, errors, work_dir) -> list[dict]:
    """Writes the SavedModel beside its version directory, verifies every signature, publishes it if they pass."""
    staged = serving_versions.staging_directory(self.model_root, self.version)
    try:
      results = self._write_saved_model(model, staged, test_set, reference_logits, errors)
    except Exception as error:  # pylint: disable=broad-except  (reported; the other artifacts go on)
      shutil.rmtree(staged, ignore_errors=True)
      if is_disk_full(error):  # no artifact can be written: the export stops
        raise
      return [_failed({"format": "saved_model", "mode": "float32", "signature": name, "path": None},
                      f"export failed: {type(error).__name__}: {_first_line(error)}")
              for name in self._signature_names()]
    if all(result["passed"] for result in results):
      path = serving_versions.publish(staged, self.model_root, self.version, self.overwrite)
      self.log(f"SavedModel version {self.version} published: {path}")
      self.repository.update(self.name, set_labels=self.labels, remove_labels=self.remove_labels, keep=self.keep,
                             protect=[self.version], base_path=self.serving_base_path, log=self.log)
      self.log(f"TF Serving files updated: {self.repository.config_path}, {self.repository.batching_path}")
    else:
      # A version directory goes live in TF Serving as soon as it appears: keep a failed one out of its sight.
      path = serving_versions.reject(staged, self.model_root, self.version)
      self.log(f"SavedModel failed its gates, not published: {path}")
    for result in results:
      result.update(path=os.path.abspath(path), version=self.version, published=result["passed"])
    return results

  def _signature_names(self) -> tuple[str, ...]:
    return saved_model_export.signature_names(self.artifact.kind)

  def _write_saved_model(self, model, staged, test_set, reference_logits, errors) -> list[dict]:
    """Writes the serving SavedModel into `staged`, verifies each signature; when all pass, adds warmup requests."""
    artifact = self.artifact
    saved_model_export.write_serving_saved_model(
        model, staged, kind=artifact.kind, feature_shape=artifact.feature_shape, label_names=artifact.label_names,
        vocabulary_path=artifact.vocabulary_path, sequence_length=artifact.config.data.sequence_length)
    size = serving_versions.directory_size(staged)
    loaded = tf.saved_model.load(staged)
    results = []
    for signature in self._signature_names():
      result = {"format": "saved_model", "mode": "float32", "signature": signature, "path": None, "size_bytes": size}
      result.update(self._verify_signature(loaded.signatures[signature], signature, test_set, reference_logits,
                                           errors, result))
      results.append(result)
    if all(result["passed"] for result in results):
      # Part of the version, so written before it is published: real test examples at every batch size the
      # server's batching pads to.
      batch_sizes = self.batching.warmup_batch_sizes()
      features, inputs = test_set.head(max(batch_sizes))
      logs = warmup_requests.warmup_requests(
          self.name, {r["signature"]: {r["input"]: self._signature_inputs(r["signature"], features, inputs)}
                      for r in results}, batch_sizes)
      warmup_requests.write_warmup_requests(staged, logs)
      for result in results:
        result["warmup_requests"] = len(logs)
    return results

  def _signature_inputs(self, signature: str, features: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """What serving `signature` takes for some test examples, from their raw features and model inputs."""
    if signature == "serving_bytes":
      return _png_files(inputs)
    if signature == "serving_default" and self.artifact.kind == "text":
      return features  # the texts, tokenized in the graph
    return inputs

  def _verify_signature(self, signature, signature_name, test_set, reference_logits, errors, result) -> dict:
    """Runs a serving signature on every chunk of the test examples; checks its outputs and gates its figures."""
    name = next(iter(signature.structured_input_signature[1]))
    outputs = test_set.collect(lambda features, inputs: verification.run_signature(
        signature, name, self._signature_inputs(signature_name, features, inputs)))
    failures = self._output_failures(outputs)
    figures = self._figures(outputs["logits"], reference_logits, test_set.labels) if not failures else {}
    if figures:
      failures += self.gates.check("float32", figures)
      errors[export_report.artifact_label(result)] = verification.per_example_errors(outputs["logits"],
                                                                                     reference_logits)
    return {**figures, "input": name, "outputs": sorted(outputs), "passed": not failures, "failures": failures}

  def _calibration_inputs(self) -> np.ndarray:
    """A fixed random sample of the training split, preprocessed as the model's inputs, as float32 or int32."""
    # Streamed: only the sample is kept, however large the training split.
    features, _ = self._dataset.sample_arrays("train", self.calibration_samples, _CALIBRATION_SEED)
    inputs = np.asarray(self.artifact.preprocessor()(features))
    return inputs.astype(np.float32 if self.artifact.kind == "image" else np.int32)

  def _export_tflite(self, model, calibration, test_set, reference_logits, errors, work_dir,
                     seconds: dict) -> list[dict]:
    """Converts every mode in its own process, then checks, verifies and describes each file."""
    stage = time.perf_counter()
    conversion_model = os.path.join(work_dir, "conversion_saved_model")
    integer_model = os.path.join(work_dir, "integer_conversion_saved_model")
    try:
      self._write_conversion_model(model, conversion_model)
      if not any(mode.integer_only for mode in self.modes) or not self._write_integer_conversion_model(
          model, integer_model):
        integer_model = conversion_model
      representative = self._write_representative(calibration, work_dir)
    except Exception as error:  # pylint: disable=broad-except  (reported for every mode)
      if is_disk_full(error):  # no artifact can be written: the export stops
        raise
      self._remove_tflite_files()
      return [_failed({"format": "tflite", "mode": mode.name, "path": None},
                      f"conversion SavedModel failed: {type(error).__name__}: {_first_line(error)}")
              for mode in self.modes]

    def convert(mode: TfliteMode) -> ConversionResult:
      return convert_in_subprocess(integer_model if mode.integer_only else conversion_model, mode.name,
                                   self.artifact.kind, representative,
                                   os.path.join(work_dir, f"{self.name}_{mode.name}.tflite"),
                                   signature_keys=self.conversion_signatures)

    with concurrent.futures.ThreadPoolExecutor(min(_PARALLEL_CONVERSIONS, len(self.modes))) as pool:
      conversions = list(pool.map(convert, self.modes))
    seconds["tflite_conversion"] = round(time.perf_counter() - stage, 2)
    for conversion in conversions:
      self.log(f"tflite {conversion.mode}: {'converted' if conversion.succeeded else conversion.failure()} "
               f"({conversion.seconds:.1f} s)")
      if not conversion.succeeded and "No space left on device" in conversion.stderr_tail:
        raise OSError(errno.ENOSPC, "No space left on device", work_dir)
    stage = time.perf_counter()
    float32 = next((c for c in conversions if c.mode == "float32" and c.succeeded), None)
    # The int8 size gate compares with the float32 file, or with the float32 weights when there is none.
    size_reference = (os.path.getsize(float32.path), "float32 .tflite") if float32 else (
        4 * model.count_params(), "float32 weights (4 bytes per parameter)")
    self._remove_tflite_files()
    results = []
    for mode, conversion in zip(self.modes, conversions):
      try:
        results.append(self._finish_tflite(mode, conversion, size_reference, test_set, reference_logits, errors))
      except Exception as error:  # pylint: disable=broad-except  (reported; the other modes go on)
        if is_disk_full(error):  # no artifact can be written: the export stops
          raise
        results.append(_failed({"format": "tflite", "mode": mode.name, "path": None},
                               f"verification failed: {type(error).__name__}: {_first_line(error)}"))
    seconds["tflite_verification"] = round(time.perf_counter() - stage, 2)
    return results

  def _remove_tflite_files(self) -> None:
    """Removes every `.tflite` file of this model, and its metadata, from OUT/tflite (creating the folder).

    OUT/tflite holds the files of the latest export of each model only: those of an earlier export, of a mode
    exported now or not, would not match this export's report.
    """
    os.makedirs(self.tflite_dir, exist_ok=True)
    for mode_name in MODE_NAMES:
      path = os.path.join(self.tflite_dir, f"{self.name}_{mode_name}.tflite")
      for stale in (path, ModelMetadata.path_for(path)):
        if os.path.exists(stale):
          os.remove(stale)

  def _write_conversion_model(self, model: keras.Model, path: str) -> None:
    """Writes the SavedModel the converter reads."""
    write_conversion_saved_model(*self._conversion_function(model), path)

  def _write_integer_conversion_model(self, model: keras.Model, path: str) -> bool:
    """Writes a SavedModel of its own for the integer-only modes, where they need another graph; returns whether
    it did (a classifier's graph is the same for every mode)."""
    del model, path
    return False

  def _write_representative(self, calibration, work_dir: str) -> str:
    """Writes the calibration inputs where the conversion subprocess reads them; returns the path."""
    path = os.path.join(work_dir, "representative.npy")
    np.save(path, calibration)
    return path

  def _tflite_runner(self, path: str):
    """What runs a converted file on the test examples (`verification.TfliteRunner`'s interface)."""
    return verification.TfliteRunner(path, num_threads=self.num_threads)

  def _conversion_function(self, model: keras.Model):
    """The function the converter sees, and its input.

    The CNN and the unrolled LSTM take any batch size (-1 in the file's signature: the file is allocated for batch 1,
    and `resize_tensor_input` sets another). Two graphs keep batch 1, as their operators need: the converter fuses
    the LSTM only at a static batch size (with a free one it unrolls the steps, and the int8 files grow past the size
    gate, to 0.38-0.43x float32), and with a free batch it lowers the Transformer's attention einsums through SHAPE,
    REDUCE_PROD and computed RESHAPEs, which XNNPACK does not take (5 partitions instead of 1).
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
      unrolled = unrolled_copy(model)
      return ((lambda token_ids: unrolled(token_ids, training=False)),
              tf.TensorSpec((None, length), tf.int32, name="token_ids"))
    return (lambda token_ids: model(token_ids, training=False)), tf.TensorSpec((1, length), tf.int32, name="token_ids")

  def _finish_tflite(self, mode: TfliteMode, conversion: ConversionResult, size_reference: tuple[int, str],
                     test_set: VerificationSet, reference_logits, errors) -> dict:
    """Checks the ops, runs the file on the test examples chunk by chunk, publishes it and writes its metadata."""
    path = os.path.join(self.tflite_dir, f"{self.name}_{mode.name}.tflite")
    metadata_path = ModelMetadata.path_for(path)
    result = {"format": "tflite", "mode": mode.name, "path": None, "conversion": conversion.to_dict()}
    if not conversion.succeeded:
      return _failed(result, conversion.failure())
    ops = TfliteOps.read(conversion.path)
    result.update(ops=ops.to_dict(), size_bytes=os.path.getsize(conversion.path))
    if not ops.builtin_only:
      return _failed(result, f"non-builtin ops {', '.join(ops.custom_ops)}: LiteRT without the Flex delegate "
                             "cannot run them")
    try:
      runner = self._tflite_runner(conversion.path)
    except (ValueError, RuntimeError) as error:
      return _failed(result, f"LiteRT cannot load the model: {_first_line(error)}")
    os.replace(conversion.path, path)
    delegation = OpDelegation.of_file(path)  # of the first signature's subgraph (a language model's prefill)
    result["xnnpack"] = {**delegation.to_dict(), "summary": delegation.summary()}
    as_float = self.artifact.kind == "image"  # the file takes float pixel values
    any_batch_size = self._any_batch_size(runner)

    def run(features, inputs) -> dict[str, np.ndarray]:
      values = inputs.astype(np.float32) if as_float else inputs
      outputs = {"logits": runner.logits(values)}
      if any_batch_size:  # the same examples again, `BATCH_CHECK_SIZE` at a time, in the one pass over the split
        outputs["batched"] = runner.batched_logits(values, BATCH_CHECK_SIZE)
      return outputs

    outputs = test_set.collect(run)
    logits = outputs["logits"]
    figures = {**self._figures(logits, reference_logits, test_set.labels), "size_bytes": result["size_bytes"],
               "any_batch_size": any_batch_size}
    if any_batch_size:
      difference = np.abs(np.asarray(outputs["batched"], np.float64) - np.asarray(logits, np.float64))
      figures.update(batch_check_size=BATCH_CHECK_SIZE,
                     batch_logit_difference=float(difference.max()) if difference.size else 0.0)
    failures = self.gates.check(mode.name, figures, float32_size=size_reference[0] if mode.quantized else None)
    result.update(figures, path=os.path.abspath(path), metadata_path=os.path.abspath(metadata_path),
                  milliseconds_per_example=round(1000 * runner.seconds_per_example, 4),
                  input=dataclasses.asdict(runner.input), output=dataclasses.asdict(runner.output),
                  passed=not failures, failures=failures)
    if mode.quantized:
      result.update(size_ratio=round(result["size_bytes"] / size_reference[0], 4), size_reference=size_reference[1])
    if mode.integer_only:
      result["micro"] = self._micro_check(path, runner, test_set, logits)
    errors[export_report.artifact_label(result)] = verification.per_example_errors(logits, reference_logits)
    self._metadata(mode, runner, result).write(metadata_path)
    return result

  def _any_batch_size(self, runner) -> bool:
    """Whether the file of `runner` takes any batch size, so that the gate also runs it at `BATCH_CHECK_SIZE`."""
    return runner.any_batch_size

  def _micro_check(self, path: str, runner, test_set: VerificationSet, logits: np.ndarray) -> dict:
    """The `full_int8` file on TensorFlow Lite Micro's interpreter, against LiteRT's logits (`micro_check`)."""
    _, inputs = test_set.head(MICRO_EXAMPLES)
    if self.artifact.kind == "image":
      inputs = inputs.astype(np.float32)
    check = check_on_micro(path, runner.input, runner.output, inputs, logits)
    return {**check.to_dict(), "summary": check.summary()}

  def _metadata(self, mode: TfliteMode, runner: verification.TfliteRunner, result: dict) -> ModelMetadata:
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
    return ModelMetadata(
        model_name=self.name, architecture=artifact.model_name,
        task="image_classification" if artifact.kind == "image" else "text_classification", mode=mode.name,
        labels=artifact.label_names, input=runner.input, output=runner.output,
        source={"model_dir": os.path.abspath(artifact.model_dir), "dataset": artifact.dataset_name,
                "config": artifact.config.to_dict(), "tensorflow": tf.__version__, "keras": keras.__version__,
                "lstm_graph": self.lstm_graph, "variable_tensors": result["ops"]["variable_tensors"]},
        verification={"split": "test", **{key: result[key] for key in figures}},
        **shaping)


def export_name(artifact: ModelArtifact) -> str:
  """`<dataset>_<architecture>`, e.g. `digits_cnn`; a user data set (`images:DIR`, `csv:PATH`) is named by its
  file or folder name."""
  dataset = artifact.dataset_name
  if ":" in dataset:
    dataset = os.path.splitext(os.path.basename(os.path.normpath(dataset.split(":", 1)[1])))[0]
  return re.sub(r"[^A-Za-z0-9_-]+", "_", f"{dataset}_{artifact.model_name}").strip("_")


def _check_writable(export_dir: str) -> None:
  try:
    # Names what is in the way: a file at (or above) the path, or the directory that is not writable.
    check_writable_dir(export_dir, "export_dir")
    os.makedirs(export_dir, exist_ok=True)
  except ArtifactError as error:
    raise ExportError(str(error)) from None
  except OSError as error:
    raise ExportError(f"Cannot create --export_dir={export_dir} ({error.strerror or error}). Choose a directory "
                      "you can write to.") from None


def _keras_logits(model: keras.Model, inputs: np.ndarray) -> np.ndarray:
  parts = [np.asarray(model(inputs[start:start + _KERAS_BATCH], training=False), np.float32)
           for start in range(0, len(inputs), _KERAS_BATCH)]
  return np.concatenate(parts) if parts else np.zeros((0, model.num_classes), np.float32)


def _png_files(pixels: np.ndarray) -> np.ndarray:
  """Each image encoded as a PNG file (lossless: decoding gives the pixels back exactly)."""
  return np.array([tf.io.encode_png(image).numpy() for image in pixels], dtype=object)


def _first_line(error: BaseException, limit: int = 300) -> str:
  """The first line of an error message, cut to `limit` characters (LiteRT repeats some messages many times)."""
  line = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
  return line if len(line) <= limit else line[:limit] + "..."


def _failed(result: dict, failure: str) -> dict:
  return {**result, "passed": False, "failures": [failure]}
