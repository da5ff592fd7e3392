"""Exports a trained model directory: a serving SavedModel, `.tflite` files per mode, verification and a report.

  OUT/serving/<name>/<version>/          SavedModel for TF Serving with its warmup requests (published only when it
                                         passes its gates; then `--keep` prunes older versions)
  OUT/serving/models.config              every model of the repository, with version labels (`serving_repository`)
  OUT/serving/batching_parameters.txt    TF Serving's batching parameters (written once)
  OUT/tflite/<name>_<mode>.tflite        one file per mode, builtin ops only, of the model's latest export only, with
                                         its metadata inside (standard TFLite metadata: `tflite_metadata`)
  OUT/tflite/<name>_<mode>.json          its `edge.ModelMetadata`, verification figures included (also inside the file)
  OUT/report.json, report.md             every figure of every artifact, and what failed
  OUT/accuracy_size_per_mode.png, OUT/logit_error_histogram.png

What depends on the kind of model is its export task's (`export/tasks/`): `ClassifierTask` for the classifiers,
`LanguageModelTask` for the language models (`transformer_lm`, `lstm_lm`: same layout, next-token and generation
artifacts); `Exporter` asks `task_for` once.

`<name>` is `<dataset>_<architecture>`, e.g. `digits_cnn`. Bad input (no trained model, an unknown mode, an existing
version without `overwrite`, a label on a missing version, an unwritable export directory, training data that has
moved, a test split without examples) raises `ExportError` or `ArtifactError` before anything is written. From then
on the report is always written (with the export's `ExportConfig` as `config`); a mode whose conversion
crashes or fails is reported and the other modes go on.

Memory stays flat in the size of the test split: the examples are a `VerificationSet`, streamed from the data set's
records in chunks of `chunk_size` (512) examples, read again for each artifact (Keras, each serving signature, each
`.tflite` file), preprocessed and, for `serving_bytes`, encoded as PNG files chunk by chunk. Held whole are only what
is small per example: the labels, Keras' logits, one artifact's outputs while its figures are computed, and each
artifact's per-example errors for the histogram. The figures are those of one pass over all examples.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import errno
import os
import re
import shutil
import time
from collections.abc import Callable

import numpy as np

from edge.model_metadata import ModelMetadata
from edge.op_delegation import OpDelegation
from export import export_report
from export.artifact_result import SAVED_MODEL, ArtifactResult
from export.serving import serving_repository
from export.serving import serving_versions
from export.tflite import tflite_metadata
from export import verification
from export import work_directories
from export.export_config import ExportConfig
from export.export_error import ExportError
from export.target_recommendation import recommend
from export.tasks import task_for
from export.tflite.tflite_conversion import ConversionResult, convert_in_subprocess
from export.tflite.tflite_modes import MODE_NAMES, TfliteMode
from export.tflite.tflite_ops import TfliteOps
from export.verification_gates import BATCH_CHECK_SIZE, VerificationGates
from export.verification_set import VerificationSet
from tfmodels.atomic_files import publish, writing
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact, is_disk_full
from tfmodels.training.writable_directory import check_writable_dir

# Conversions run side by side, each in its own process; more than two gains nothing on small machines.
_PARALLEL_CONVERSIONS = 2
# Examples run again through a file once its metadata is inside it (they must give the verified logits exactly).
_EMBEDDED_CHECK_EXAMPLES = 8


class Exporter:
  """Exports, verifies and reports one trained model directory.

  What depends on the kind of model (test examples, reference logits and figures, signatures, the converter's
  function, the `.tflite` runner, the metadata) is its task's (`export.tasks.task_for`, asked once); the exporter
  owns what every export does alike: staging and atomic publishing, the converter processes, the gates, the report.

  Args:
    model_dir: a directory written by the trainer (`ModelArtifact`).
    export_dir: where the artifacts and the report go (created if missing).
    config: the export's settings (`ExportConfig`); or give them as keyword arguments of the same names.
    log: where progress lines go.
  """

  def __init__(self, model_dir: str, export_dir: str, config: ExportConfig | None = None, *,
               log: Callable[[str], None] = print, **options):
    if config is not None and options:
      raise TypeError(f"Give an ExportConfig or its fields as keyword arguments, not both: {', '.join(options)}.")
    self.config = config = config if config is not None else ExportConfig(**options)
    self.artifact = ModelArtifact.load(model_dir)
    self.name = export_name(self.artifact)
    self.task = task_for(self.artifact, config, self.name)
    self.modes: tuple[TfliteMode, ...] = config.modes
    self.export_dir = export_dir
    self.log = log
    self.repository = serving_repository.ServingRepository(os.path.join(export_dir, "serving"))
    self.model_root = self.repository.model_root(self.name)
    self.tflite_dir = os.path.join(export_dir, "tflite")
    self.version = serving_versions.resolve_version(self.model_root, config.version, config.overwrite)
    # Checked now, so that a bad label or a damaged models.config or batching file stops the export before it starts.
    self.repository.new_labels(self.name, config.labels, config.remove_labels, pending_version=self.version)
    self.batching = self.repository.batching_parameters()

  @property
  def gates(self) -> VerificationGates:
    """The gates of this model's kind."""
    return self.task.gates

  def run(self) -> dict:
    """Exports every artifact, verifies each against Keras, writes the report; returns the report.

    Gate failures do not raise: the report says `passed: false` and names each failed figure.
    """
    start = time.perf_counter()
    artifact, task = self.artifact, self.task
    test_set = task.test_set()
    if not test_set.num_examples:
      # Every gate would pass vacuously on nothing (and fails in `VerificationGates.check`): refuse before writing.
      raise ExportError(f"The test split of {test_set.dataset_name} has no examples, so no exported artifact can be "
                        f"verified. Give the data set a test split with examples (at least one per class), retrain "
                        f"(python tools/train.py --model_dir={artifact.model_dir} ...), then export again.")
    _check_writable(self.export_dir)
    tflite_metadata.check_writer()
    for parent in (self.export_dir, self.model_root):
      for path in work_directories.remove_abandoned(parent):
        self.log(f"Removed {path}, left by an export that was killed.")
    model = artifact.load_model()
    reference_logits = task.reference_logits(model, test_set)
    self.log(f"Exporting {self.name} ({model.count_params():,} parameters); verifying on {test_set.num_examples} of "
             f"{test_set.available} test examples.")
    report = task.report_header(model, test_set, reference_logits)
    report["config"] = self.config.to_dict()
    results: list[ArtifactResult] = []
    errors: dict[str, np.ndarray] = {}
    work_dir = work_directories.make(self.export_dir, ".tmp-export-")
    stopped: list[str] = []
    now_writing = "the SavedModel"
    try:
      stage = time.perf_counter()
      results += self._export_saved_model(model, test_set, reference_logits, errors)
      report["seconds"]["saved_model"] = round(time.perf_counter() - stage, 2)
      now_writing = "the TFLite files"
      calibration = task.calibration_inputs()
      results += self._export_tflite(model, calibration, test_set, reference_logits, errors, work_dir,
                                     report["seconds"])
    except BaseException as error:
      # The report of an export that broke off says so, and passes nothing.
      stopped = [f"export stopped: {type(error).__name__}: {_first_line(error)}"]
      if is_disk_full(error):
        stopped = [f"export stopped: no space left on the disk holding {self.export_dir} while writing {now_writing}"]
        published = [r for r in results if r.format == SAVED_MODEL and r.passed]
        done = (f"SavedModel version {self.version} was published before (complete and verified); no TFLite file "
                "was written" if published else "Nothing was published")
        raise ExportError(
            f"No space left on the disk holding {self.export_dir} while writing {now_writing}. {done}. Free some "
            "space, or export into another --export_dir, then export again.") from None
      raise
    finally:
      shutil.rmtree(work_dir, ignore_errors=True)
      # Every entry has every figure; null when it could not be measured.
      report["artifacts"] = [result.to_dict(task.figure_names) for result in results]
      report["failures"] = stopped + [f"{result.label}: {failure}" for result in results
                                      for failure in result.failures]
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

  def _export_saved_model(self, model, test_set, reference_logits, errors) -> list[ArtifactResult]:
    """Writes the SavedModel beside its version directory, verifies every signature, publishes it if they pass."""
    config = self.config
    staged = serving_versions.staging_directory(self.model_root, self.version)
    try:
      results = self.task.write_saved_model(model, staged, test_set, reference_logits, errors,
                                            self.batching.warmup_batch_sizes())
    except Exception as error:  # pylint: disable=broad-except  (reported; the other artifacts go on)
      shutil.rmtree(staged, ignore_errors=True)
      if is_disk_full(error):  # no artifact can be written: the export stops
        raise
      return [ArtifactResult.saved_model(name).fail(f"export failed: {type(error).__name__}: {_first_line(error)}")
              for name in self.task.signature_names()]
    if all(result.passed for result in results):
      path = serving_versions.publish(staged, self.model_root, self.version, config.overwrite)
      self.log(f"SavedModel version {self.version} published: {path}")
      self.repository.update(self.name, set_labels=config.labels, remove_labels=config.remove_labels,
                             keep=config.keep, protect=[self.version], base_path=config.serving_base_path,
                             log=self.log)
      self.log(f"TF Serving files updated: {self.repository.config_path}, {self.repository.batching_path}")
    else:
      # A version directory goes live in TF Serving as soon as it appears: keep a failed one out of its sight.
      path = serving_versions.reject(staged, self.model_root, self.version)
      self.log(f"SavedModel failed its gates, not published: {path}")
    for result in results:
      result.path = os.path.abspath(path)
      result.record(version=self.version, published=result.passed)
    return results

  def _export_tflite(self, model, calibration, test_set, reference_logits, errors, work_dir,
                     seconds: dict) -> list[ArtifactResult]:
    """Converts every mode in its own process, then checks, verifies and describes each file."""
    task = self.task
    stage = time.perf_counter()
    conversion_model = os.path.join(work_dir, "conversion_saved_model")
    integer_model = os.path.join(work_dir, "integer_conversion_saved_model")
    try:
      task.write_conversion_model(model, conversion_model)
      if not any(mode.integer_only for mode in self.modes) or not task.write_integer_conversion_model(
          model, integer_model):
        integer_model = conversion_model
      representative = task.write_representative(calibration, work_dir)
    except Exception as error:  # pylint: disable=broad-except  (reported for every mode)
      if is_disk_full(error):  # no artifact can be written: the export stops
        raise
      self._remove_tflite_files()
      return [ArtifactResult.tflite(mode.name).fail(
          f"conversion SavedModel failed: {type(error).__name__}: {_first_line(error)}") for mode in self.modes]

    def convert(mode: TfliteMode) -> ConversionResult:
      return convert_in_subprocess(integer_model if mode.integer_only else conversion_model, mode.name,
                                   self.artifact.kind, representative,
                                   os.path.join(work_dir, f"{self.name}_{mode.name}.tflite"),
                                   signature_keys=task.conversion_signatures)

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
        results.append(ArtifactResult.tflite(mode.name).fail(
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

  def _finish_tflite(self, mode: TfliteMode, conversion: ConversionResult, size_reference: tuple[int, str],
                     test_set: VerificationSet, reference_logits, errors) -> ArtifactResult:
    """Checks the ops, runs the file on the test examples chunk by chunk, publishes it and writes its metadata."""
    task = self.task
    path = os.path.join(self.tflite_dir, f"{self.name}_{mode.name}.tflite")
    metadata_path = ModelMetadata.path_for(path)
    result = ArtifactResult.tflite(mode.name, conversion=conversion.to_dict())
    if not conversion.succeeded:
      return result.fail(conversion.failure())
    ops = TfliteOps.read(conversion.path)
    result.record(ops=ops.to_dict(), size_bytes=os.path.getsize(conversion.path))
    if not ops.builtin_only:
      return result.fail(f"non-builtin ops {', '.join(ops.custom_ops)}: LiteRT without the Flex delegate cannot "
                         "run them")
    try:
      runner = task.tflite_runner(conversion.path)
    except (ValueError, RuntimeError) as error:
      return result.fail(f"LiteRT cannot load the model: {_first_line(error)}")
    publish(conversion.path, path)
    delegation = OpDelegation.of_file(path)  # of the first signature's subgraph (a language model's prefill)
    result.record(xnnpack={**delegation.to_dict(), "summary": delegation.summary()})
    any_batch_size = task.any_batch_size(runner)

    def run(features, inputs) -> dict[str, np.ndarray]:
      values = task.tflite_inputs(inputs)
      outputs = {"logits": runner.logits(values)}
      if any_batch_size:  # the same examples again, `BATCH_CHECK_SIZE` at a time, in the one pass over the split
        outputs["batched"] = runner.batched_logits(values, BATCH_CHECK_SIZE)
      return outputs

    outputs = test_set.collect(run)
    logits = outputs["logits"]
    figures = {**task.figures(logits, reference_logits, test_set.labels), "any_batch_size": any_batch_size,
               "size_bytes": result.values["size_bytes"]}
    if any_batch_size:
      difference = np.abs(np.asarray(outputs["batched"], np.float64) - np.asarray(logits, np.float64))
      figures.update(batch_check_size=BATCH_CHECK_SIZE,
                     batch_logit_difference=float(difference.max()) if difference.size else 0.0)
    failures = self.gates.check(mode.name, figures, float32_size=size_reference[0] if mode.quantized else None)
    result.path = os.path.abspath(path)
    result.record(**figures, metadata_path=os.path.abspath(metadata_path),
                  milliseconds_per_example=round(1000 * runner.seconds_per_example, 4),
                  input=dataclasses.asdict(runner.input), output=dataclasses.asdict(runner.output)).gated(failures)
    if mode.quantized:
      result.record(size_ratio=round(result.values["size_bytes"] / size_reference[0], 4),
                    size_reference=size_reference[1])
    if mode.integer_only:
      result.record(micro=task.micro_check(path, runner, test_set, logits))
    errors[result.label] = verification.per_example_errors(logits, reference_logits)
    task.metadata(mode, runner, result).write(metadata_path)
    result = task.finish_tflite(mode, result)
    self._embed_metadata(result, test_set, logits)
    return result

  def _embed_metadata(self, result: ArtifactResult, test_set: VerificationSet, logits: np.ndarray) -> None:
    """Puts the file's final metadata inside it (`tflite_metadata.embed`), replacing the file atomically once the
    new file has been checked: it reads back the same metadata and gives the gated logits, bit for bit. When it
    cannot, the file stays as verified (metadata beside it only) and the result names the failure."""
    path = result.path
    metadata = ModelMetadata.read(result.values["metadata_path"])
    with open(path, "rb") as f:
      model = f.read()
    try:
      embedded = tflite_metadata.embed(model, metadata, version=self.version)
      with writing(path, ".tflite") as staged:
        with open(staged, "wb") as f:
          f.write(embedded)
        _, inputs = test_set.head(_EMBEDDED_CHECK_EXAMPLES)
        same_logits = np.array_equal(self.task.tflite_runner(staged).logits(self.task.tflite_inputs(inputs)),
                                     logits[:len(inputs)])
        if ModelMetadata.read_embedded(staged) != metadata or not same_logits:
          raise ExportError(f"with it the file does not give back "
                            f"{'the same metadata' if same_logits else 'the logits of the verified file'}")
    except ExportError as error:  # nothing replaced the verified file
      result.fail(f"metadata not written inside the file: {error}")
      return
    result.record(metadata_bytes=len(embedded) - len(model))


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


def _first_line(error: BaseException, limit: int = 300) -> str:
  """The first line of an error message, cut to `limit` characters (LiteRT repeats some messages many times)."""
  line = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
  return line if len(line) <= limit else line[:limit] + "..."

