"""Tests of export/exporter.py: whole exports of models trained on real data, and what happens when things fail."""

import dataclasses
import json
import os

from google.protobuf import text_format
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.config import model_server_config_pb2

from edge import EdgeClassifier, ModelMetadata
from export import export_report
from export import exporter
from export.serving import saved_model_export
from export import verification
from export.serving.batching_parameters import BatchingParameters
from export.export_error import ExportError
from export.exporter import Exporter
from export.serving.serving_repository import ServingRepository
from export.tasks import classifier_task
from export.tflite import tflite_metadata
from export.tflite.tflite_conversion import ABORT_MODES_VARIABLE, ConversionResult
from export.serving.warmup_requests import read_warmup_requests
from export.verification_gates import VerificationGates
from tests.export.conftest import TEXT_EXAMPLES
from tests.testing.model_test_case import digits_pixels
from tfmodels import data as data_lib
from tfmodels.training.model_artifact import ArtifactError, ModelArtifact

_QUIET = {"log": lambda line: None}


def _artifact(report: dict, fmt: str, mode: str, signature: str | None = None) -> dict:
  return next(a for a in report["artifacts"] if a["format"] == fmt and a["mode"] == mode
              and a.get("signature") == signature)


def test_digits_cnn_passes_in_every_mode(digits_export):
  export_dir, report = digits_export
  assert report["passed"] and report["failures"] == []
  assert [(a["format"], a.get("signature") or a["mode"]) for a in report["artifacts"]] == [
      ("saved_model", "serving_default"), ("saved_model", "serving_bytes"), ("tflite", "float32"),
      ("tflite", "float16"), ("tflite", "dynamic_int8"), ("tflite", "full_int8")]
  for artifact in report["artifacts"]:
    assert artifact["passed"] and artifact["failures"] == [], artifact
    assert artifact["num_examples"] == report["dataset"]["num_examples"] == report["dataset"]["test_examples"]
    assert artifact["size_bytes"] > 0 and os.path.exists(artifact["path"])
  float32 = _artifact(report, "tflite", "float32")
  assert float32["max_abs_logit_error"] <= 1e-3 and float32["top1_agreement"] == 1.0
  for mode in ("dynamic_int8", "full_int8"):
    assert _artifact(report, "tflite", mode)["size_ratio"] <= 0.30
  assert {op["name"] for op in float32["ops"]["ops"]} >= {"CONV_2D", "FULLY_CONNECTED"}
  assert _artifact(report, "saved_model", "float32", "serving_default")["path"] == os.path.join(
      os.path.abspath(export_dir), "serving", "digits_cnn", "1")
  # The CNN's full_int8 file is integer-only, runs on TensorFlow Lite Micro, and is the NPU/MCU file.
  full_int8 = _artifact(report, "tflite", "full_int8")
  assert full_int8["ops"]["integer_only"] and full_int8["ops"]["float_ops"] == {}
  micro = full_int8["micro"]
  assert micro["ran"] and micro["examples"] == min(200, report["dataset"]["num_examples"]), micro
  assert micro["top1_agreement"] >= 0.99 and 0 < micro["arena_bytes"] < 256 * 1024
  assert report["recommendations"]["npu_mcu"]["mode"] == "full_int8"
  assert all(a.get("micro") is None for a in report["artifacts"] if a.get("mode") != "full_int8")
  # Every CNN file takes any batch size, and gives at batch 8 the logits of batch 1.
  for mode in ("float32", "float16", "dynamic_int8", "full_int8"):
    artifact = _artifact(report, "tflite", mode)
    assert artifact["any_batch_size"] and artifact["batch_check_size"] == 8, artifact
    assert artifact["batch_logit_difference"] <= 1e-4 and artifact["input"]["shape"][0] == -1


def test_an_edge_box_batches_a_cnn_file(digits_export):
  # The edge runtime resizes a file of any batch size to the batch it is given: 37 images at once, as one by one.
  _, report = digits_export
  images = digits_pixels()[0][:37]
  for mode in ("float32", "full_int8"):
    classifier = EdgeClassifier(_artifact(report, "tflite", mode)["path"])
    together = classifier.predict_logits(images.astype(np.float32))
    alone = np.concatenate([classifier.predict_logits(image[None].astype(np.float32)) for image in images])
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_the_report_files_are_written(digits_export):
  export_dir, report = digits_export
  with open(os.path.join(export_dir, "report.json")) as f:
    assert json.load(f) == json.loads(json.dumps(report))
  with open(os.path.join(export_dir, "report.md")) as f:
    markdown = f.read()
  assert "**PASSED**" in markdown and "| tflite full_int8 |" in markdown and "| SavedModel serving_bytes |" in markdown
  assert "- full_int8 (integer-only): TFLite Micro runs it in a tensor arena of" in markdown
  for name in ("accuracy_size_per_mode.png", "logit_error_histogram.png"):
    with open(os.path.join(export_dir, name), "rb") as f:
      assert f.read(8) == b"\x89PNG\r\n\x1a\n"
  # Only the published artifacts remain: no work or staging directory.
  assert sorted(os.listdir(export_dir)) == ["accuracy_size_per_mode.png", "logit_error_histogram.png", "report.json",
                                            "report.md", "serving", "tflite"]
  assert os.listdir(os.path.join(export_dir, "serving", "digits_cnn")) == ["1"]


def test_metadata_describes_each_file_for_the_edge_runtime(digits_export, digits_model_dir):
  export_dir, report = digits_export
  artifact = ModelArtifact.load(digits_model_dir)
  pixels, _ = data_lib.load_dataset(artifact.config.data).split_arrays("test")
  for mode in ("float32", "float16", "dynamic_int8", "full_int8"):
    path = os.path.join(export_dir, "tflite", f"digits_cnn_{mode}.tflite")
    metadata = ModelMetadata.read(ModelMetadata.path_for(path))
    entry = _artifact(report, "tflite", mode)
    assert metadata.mode == mode and metadata.labels == artifact.label_names
    assert metadata.verification["top1_agreement"] == entry["top1_agreement"] and metadata.verification["passed"]
    assert metadata.source["dataset"] == "digits" and metadata.image.value_range == (0.0, 255.0)
    classifier = EdgeClassifier(path)  # checks that the metadata matches the model's tensors
    logits = classifier.predict_logits(pixels[:50].astype(np.float32))
    assert logits.shape == (50, len(artifact.label_names))
  full_int8 = ModelMetadata.read(os.path.join(export_dir, "tflite", "digits_cnn_full_int8.json"))
  assert (full_int8.input.dtype, full_int8.input.scale, full_int8.input.zero_point) == ("uint8", 1.0, 0)
  assert full_int8.output.dtype == "int8" and full_int8.output.quantized


def test_each_file_carries_its_metadata_in_the_standard_schema(digits_export, digits_model_dir, tmp_path):
  # Read back by TensorFlow Lite Support's displayer: its own flatbuffer parser and the published metadata schema.
  from tensorflow_lite_support.metadata.python import metadata as tflite_support_metadata  # pylint: disable=import-outside-toplevel
  export_dir, report = digits_export
  artifact = ModelArtifact.load(digits_model_dir)
  pixels, _ = data_lib.load_dataset(artifact.config.data).split_arrays("test")
  for mode in ("float32", "float16", "dynamic_int8", "full_int8"):
    path = os.path.join(export_dir, "tflite", f"digits_cnn_{mode}.tflite")
    entry = _artifact(report, "tflite", mode)
    assert entry["metadata_bytes"] > 0 and os.path.getsize(path) == entry["size_bytes"] + entry["metadata_bytes"]
    displayer = tflite_support_metadata.MetadataDisplayer.with_model_file(path)
    standard = json.loads(displayer.get_metadata_json())
    assert (standard["name"], standard["version"], standard["author"]) == ("digits_cnn", "1", "tfmodels")
    assert standard["associated_files"][0]["name"] == "tfmodels_metadata.json"
    [subgraph] = standard["subgraph_metadata"]
    [image] = subgraph["input_tensor_metadata"]
    assert image["content"]["content_properties"]["color_space"] == "GRAYSCALE"
    # The model takes raw pixel values: normalization (x - 0) / 1.
    assert image["process_units"][0]["options"] == {"mean": [0.0], "std": [1.0]}
    [logits] = subgraph["output_tensor_metadata"]
    assert logits["associated_files"][0] == {"name": "labels.txt", "description": "Labels for categories that the "
                                             "model can recognize.", "type": "TENSOR_AXIS_LABELS"}
    assert sorted(displayer.get_packed_associated_file_list()) == ["labels.txt", "tfmodels_metadata.json"]
    labels = displayer.get_associated_file_buffer("labels.txt").decode().splitlines()
    assert tuple(labels) == artifact.label_names
    inside = ModelMetadata.from_json(displayer.get_associated_file_buffer("tfmodels_metadata.json").decode())
    assert inside == ModelMetadata.read(ModelMetadata.path_for(path)) == ModelMetadata.read_embedded(path)
    # The file alone, without its .json, is enough for the edge runtime, and gives the same answers.
    alone = tmp_path / f"alone_{mode}.tflite"
    alone.write_bytes(open(path, "rb").read())
    np.testing.assert_array_equal(EdgeClassifier(str(alone)).predict_logits(pixels[:20].astype(np.float32)),
                                  EdgeClassifier(path).predict_logits(pixels[:20].astype(np.float32)))


def test_the_serving_model_reloads_with_named_outputs(digits_export):
  export_dir, _ = digits_export
  loaded = tf.saved_model.load(os.path.join(export_dir, "serving", "digits_cnn", "1"))
  for name in ("serving_default", "serving_bytes"):
    assert set(loaded.signatures[name].structured_outputs) == {"logits", "probabilities", "class_ids", "classes"}
  outputs = loaded.signatures["serving_default"](pixels=tf.zeros((2, 8, 8, 1), tf.uint8))
  assert outputs["classes"].dtype == tf.string and outputs["class_ids"].dtype == tf.int64


def test_the_serving_repository_files_are_written(digits_export):
  export_dir, _ = digits_export
  repository = ServingRepository(os.path.join(export_dir, "serving"))
  with open(repository.config_path, encoding="utf-8") as f:
    config = text_format.Parse(f.read(), model_server_config_pb2.ModelServerConfig())
  assert [(c.name, c.base_path, c.model_platform) for c in config.model_config_list.config] == [
      ("digits_cnn", "/models/digits_cnn", "tensorflow")]
  assert repository.batching_parameters() == BatchingParameters()


def test_bad_input_is_refused_before_anything_is_written(digits_model_dir, digits_export, tmp_path):
  export_dir, _ = digits_export
  fresh = str(tmp_path / "fresh")
  with pytest.raises(ExportError, match="Unknown TFLite mode.*float32, float16, dynamic_int8, full_int8"):
    Exporter(digits_model_dir, fresh, modes="float32,int4")
  with pytest.raises(ArtifactError, match="holds no trained model"):
    Exporter(str(tmp_path), fresh)
  with pytest.raises(ExportError, match="Version 1 already exists.*--overwrite"):
    Exporter(digits_model_dir, export_dir, version=1)
  with pytest.raises(ExportError, match=r"Label stable points at version 7 of digits_cnn.*version 2 is being exported"):
    Exporter(digits_model_dir, export_dir, labels={"stable": 7})
  with pytest.raises(ExportError, match="--keep=0"):
    Exporter(digits_model_dir, fresh, keep=0)
  blocker = tmp_path / "a_file"
  blocker.write_text("not a directory")
  with pytest.raises(ExportError, match=r"--export_dir=.*a_file/out is inside .*a_file, which is a file, not a "
                                       r"directory. Choose another --export_dir, or move the file away"):
    Exporter(digits_model_dir, str(blocker / "out"), **_QUIET).run()
  with pytest.raises(ExportError, match=r"a_file is a file, not a directory"):  # was: "fix its permissions"
    Exporter(digits_model_dir, str(blocker), **_QUIET).run()
  assert blocker.read_text() == "not a directory"
  assert not os.path.exists(fresh)


def test_a_test_split_without_examples_is_refused_before_anything_is_written(digits_model_dir, tmp_path,
                                                                           monkeypatch):
  # The data set is read again at export time, so its test split can have emptied since training.
  original = data_lib.load_dataset

  def no_test_examples(config):
    dataset = original(config)
    return dataclasses.replace(dataset, num_examples={**dataset.num_examples, "test": 0},
                               split_specs={**dataset.split_specs, "test": ""})

  monkeypatch.setattr(data_lib, "load_dataset", no_test_examples)
  export_dir = tmp_path / "out"
  with pytest.raises(ExportError, match=r"The test split of digits has no examples.*retrain"):
    Exporter(digits_model_dir, str(export_dir), **_QUIET).run()
  assert not export_dir.exists()


def test_the_gate_streams_the_test_split_in_chunks_and_measures_what_one_pass_would(digits_model_dir, tmp_path,
                                                                                   monkeypatch):
  artifact = ModelArtifact.load(digits_model_dir)
  pixels, labels = data_lib.load_dataset(artifact.config.data).split_arrays("test")
  assert len(labels) > 200

  def whole_split(*args, **kwargs):
    raise AssertionError("the export read a whole split into memory")

  monkeypatch.setattr(data_lib.LoadedDataset, "split_arrays", whole_split)
  # What each runner is handed: Keras, the serving signatures, LiteRT.
  seen: dict[str, list[np.ndarray]] = {}
  keras_logits, run_signature, tflite_logits = (classifier_task._keras_logits, verification.run_signature,
                                                verification.GateRunner.logits)

  def keras_spy(model, inputs):
    seen.setdefault("keras", []).append(inputs)
    return keras_logits(model, inputs)

  def signature_spy(signature, name, inputs):
    seen.setdefault(name, []).append(inputs)
    return run_signature(signature, name, inputs)

  def tflite_spy(runner, inputs):
    seen.setdefault("tflite", []).append(inputs)
    return tflite_logits(runner, inputs)

  monkeypatch.setattr(classifier_task, "_keras_logits", keras_spy)
  monkeypatch.setattr(verification, "run_signature", signature_spy)
  monkeypatch.setattr(verification.GateRunner, "logits", tflite_spy)
  histograms = {}
  write_report = export_report.write_report

  def keep_errors(report, export_dir, errors):
    histograms[export_dir] = errors
    return write_report(report, export_dir, errors)

  monkeypatch.setattr(export_report, "write_report", keep_errors)
  modes = "float32,dynamic_int8"
  chunked_dir, whole_dir = str(tmp_path / "chunked"), str(tmp_path / "whole")
  chunked = Exporter(digits_model_dir, chunked_dir, modes=modes, chunk_size=50, **_QUIET).run()
  # Every runner saw chunks of at most 50 examples, which together are the whole split, in order, once per artifact.
  assert set(seen) == {"keras", "pixels", "image_bytes", "tflite"}
  assert all(len(values) <= 50 for chunks in seen.values() for values in chunks)
  np.testing.assert_array_equal(np.concatenate(seen["keras"]), pixels)
  np.testing.assert_array_equal(np.concatenate(seen["pixels"]), pixels)
  assert [tf.io.decode_png(png).numpy().tobytes() for png in np.concatenate(seen["image_bytes"])] == [
      image.tobytes() for image in pixels]
  # Each file sees the split once, then its first examples again once its metadata is inside it.
  check = pixels[:exporter._EMBEDDED_CHECK_EXAMPLES]  # pylint: disable=protected-access
  np.testing.assert_array_equal(np.concatenate(seen["tflite"]),
                                np.concatenate([pixels, check, pixels, check]).astype(np.float32))
  seen.clear()
  whole = Exporter(digits_model_dir, whole_dir, modes=modes, chunk_size=len(labels), **_QUIET).run()
  assert [len(values) for values in seen["keras"]] == [len(labels)]
  # The same figures, error histograms and warmup requests as one pass over the whole split.
  assert chunked["passed"] and whole["passed"]
  figures = ("num_examples", "accuracy", "reference_accuracy", "top1_agreement", "max_abs_logit_error",
             "mean_abs_logit_error")
  assert chunked["reference_accuracy"] == whole["reference_accuracy"]
  assert chunked["dataset"] == whole["dataset"]
  assert [{key: a[key] for key in figures} for a in chunked["artifacts"]] == [
      {key: a[key] for key in figures} for a in whole["artifacts"]]
  assert histograms[chunked_dir].keys() == histograms[whole_dir].keys()
  for key, errors in histograms[chunked_dir].items():
    np.testing.assert_array_equal(errors, histograms[whole_dir][key])
  chunked_requests, whole_requests = (
      [log.SerializeToString() for log in read_warmup_requests(os.path.join(folder, "serving", "digits_cnn", "1"))]
      for folder in (chunked_dir, whole_dir))
  assert chunked_requests == whole_requests and len(chunked_requests) == 2 * 7  # two signatures, 1..64 examples


def test_a_crashing_mode_is_reported_and_the_others_are_produced(digits_model_dir, tmp_path, monkeypatch):
  monkeypatch.setenv(ABORT_MODES_VARIABLE, "full_int8")
  export_dir = str(tmp_path / "out")
  report = Exporter(digits_model_dir, export_dir, modes="float32,full_int8", max_examples=100, **_QUIET).run()
  assert not report["passed"]
  crashed = _artifact(report, "tflite", "full_int8")
  assert not crashed["passed"] and crashed["path"] is None and crashed["accuracy"] is None
  assert crashed["conversion"]["returncode"] < 0 and "SIGABRT" in crashed["failures"][0]
  assert report["failures"] == [f"tflite full_int8: {crashed['failures'][0]}"]
  assert _artifact(report, "tflite", "float32")["passed"]
  assert sorted(os.listdir(os.path.join(export_dir, "tflite"))) == ["digits_cnn_float32.json",
                                                                    "digits_cnn_float32.tflite"]
  with open(os.path.join(export_dir, "report.json")) as f:
    assert json.load(f)["passed"] is False


def test_a_serving_model_failing_its_gates_is_not_published(digits_model_dir, tmp_path):
  export_dir = str(tmp_path / "out")
  root = os.path.join(export_dir, "serving", "digits_cnn")
  assert Exporter(digits_model_dir, export_dir, modes="float32", max_examples=60, **_QUIET).run()["passed"]
  published = os.stat(os.path.join(root, "1", "saved_model.pb")).st_mtime_ns
  impossible = VerificationGates(float32_min_agreement=1.01)
  report = Exporter(digits_model_dir, export_dir, modes="float32", max_examples=60, gates=impossible, version=1,
                    overwrite=True, **_QUIET).run()
  assert not report["passed"]
  assert all(failure.split(": ", 1)[1].startswith("top1_agreement 1 < 1.01") for failure in report["failures"])
  assert not _artifact(report, "saved_model", "float32", "serving_default")["published"]
  # The failed copy is kept out of TF Serving's sight, and the live version 1 is left as it was.
  assert sorted(os.listdir(root)) == [".rejected-1", "1"]
  assert os.stat(os.path.join(root, "1", "saved_model.pb")).st_mtime_ns == published


def test_a_serving_model_that_fails_to_write_leaves_no_version(digits_model_dir, tmp_path, monkeypatch):
  def half_write(model, path, **kwargs):
    with open(os.path.join(path, "saved_model.pb"), "w") as f:
      f.write("partial")
    raise OSError("disk full")

  monkeypatch.setattr(saved_model_export, "write_serving_saved_model", half_write)
  # This test is about the SavedModel: the converter is not started.
  monkeypatch.setattr(exporter, "convert_in_subprocess",
                      lambda saved_model, mode, *args, **kwargs: ConversionResult(mode, "", -6, 0.0, "not started"))
  export_dir = str(tmp_path / "out")
  report = Exporter(digits_model_dir, export_dir, modes="float32", max_examples=60, **_QUIET).run()
  assert _artifact(report, "saved_model", "float32", "serving_default")["failures"] == [
      "export failed: OSError: disk full"]
  assert os.listdir(os.path.join(export_dir, "serving", "digits_cnn")) == []


@pytest.mark.slow
@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_text_models_pass_in_every_mode(model, request, tmp_path):
  model_dir = request.getfixturevalue(f"{model}_model_dir")
  report = Exporter(model_dir, str(tmp_path), max_examples=TEXT_EXAMPLES, calibration_samples=100, **_QUIET).run()
  assert report["passed"], report["failures"]
  assert len(report["artifacts"]) == 6 and report["dataset"]["num_examples"] == TEXT_EXAMPLES
  metadata = ModelMetadata.read(os.path.join(tmp_path, "tflite", f"rotten_tomatoes_{model}_full_int8.json"))
  assert metadata.input.dtype == "int32" and metadata.output.dtype == "int8"
  assert metadata.text.vocabulary == tuple(ModelArtifact.load(model_dir).vocabulary())
  # Inside the file: the standard schema's RegexTokenizer with the vocabulary, "<PAD> 0" and "<UNKNOWN> 1" first.
  from tensorflow_lite_support.metadata.python import metadata as tflite_support_metadata  # pylint: disable=import-outside-toplevel
  displayer = tflite_support_metadata.MetadataDisplayer.with_model_file(
      os.path.join(tmp_path, "tflite", f"rotten_tomatoes_{model}_full_int8.tflite"))
  [token_ids] = json.loads(displayer.get_metadata_json())["subgraph_metadata"][0]["input_tensor_metadata"]
  tokenizer = token_ids["process_units"][0]
  assert tokenizer["options_type"] == "RegexTokenizerOptions"
  assert tokenizer["options"]["vocab_file"][0]["name"] == "vocab.txt"
  vocabulary = displayer.get_associated_file_buffer("vocab.txt").decode().splitlines()
  assert vocabulary[:2] == ["<PAD> 0", "<UNKNOWN> 1"] and vocabulary[2:] == [
      f"{token} {index}" for index, token in enumerate(metadata.text.vocabulary) if index >= 2]
  full_int8 = _artifact(report, "tflite", "full_int8")
  # The Transformer's files take any batch size and give at batch 8 the logits of batch 1; the fused LSTM keeps
  # batch 1 (ClassifierTask.conversion_function says why).
  for artifact in (a for a in report["artifacts"] if a["format"] == "tflite"):
    assert artifact["any_batch_size"] == (model == "transformer"), artifact["mode"]
    if model == "transformer":
      assert artifact["batch_check_size"] == 8 and artifact["batch_logit_difference"] <= 1e-4, artifact
  assert metadata.input.shape[0] == (-1 if model == "transformer" else 1)
  if model == "transformer":
    # The padding mask is looked up once at the input; XNNPACK runs everything after it as one partition.
    for mode in ("float32", "dynamic_int8"):
      xnnpack = _artifact(report, "tflite", mode)["xnnpack"]
      assert xnnpack["partitions"] == 1, xnnpack["summary"]
      # No mask operators per block: one select is left, Keras' wrap of negative ids before the embedding lookup.
      operators = xnnpack["operators"]
      assert "LOGICAL_AND" not in operators and operators.get("SELECT", 0) + operators.get("SELECT_V2", 0) <= 1
  markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
  assert "## Which file to ship" in markdown and "## XNNPACK (LiteRT's CPU delegate)" in markdown
  assert report["recommendations"]["gpu"]["mode"] == "float16"
  assert report["recommendations"]["cpu"]["mode"] in {a["mode"] for a in report["artifacts"] if a.get("path")}
  # Integer-only: the padding factors are int8 lookups and the layer norms have no NEG, so no float tensor is left.
  assert full_int8["ops"]["integer_only"], full_int8["ops"]["float_ops"]
  assert report["recommendations"]["npu_mcu"]["mode"] == "full_int8"
  if model == "lstm":
    assert report["model"]["lstm_graph"] == "fused" and metadata.source["lstm_graph"] == "fused"
    assert ("UNIDIRECTIONAL_SEQUENCE_LSTM", 1) in {(op["name"], op["version"]) for op in full_int8["ops"]["ops"]}
    assert full_int8["ops"]["variable_tensors"] == 4
  # The edge runtime, from raw texts, reaches the accuracy the gate measured for every mode (for the LSTM this
  # needs the fused op's state reset before each input).
  texts, labels = data_lib.load_dataset(ModelArtifact.load(model_dir).config.data).split_arrays("test")
  texts, labels = texts[:TEXT_EXAMPLES], labels[:TEXT_EXAMPLES]
  for artifact in report["artifacts"]:
    if artifact["format"] == "tflite":
      classifier = EdgeClassifier(artifact["path"])
      logits = classifier.predict_logits(classifier.tokenizer.encode_batch([t.decode() for t in texts]))
      assert float((logits.argmax(-1) == labels).mean()) == pytest.approx(artifact["accuracy"], abs=1e-9)


def test_augmentation_is_no_part_of_the_exported_model(digits_model_dir, digits_export, tmp_path):
  from export.tflite.tflite_ops import TfliteOps
  from tfmodels.training.experiment import config_from_flags, train
  # The digits preset's model, trained with every image augmentation on (the plain one is trained without any).
  augmented_dir = str(tmp_path / "augmented")
  train(config_from_flags(model="cnn", dataset="digits", epochs=2, strategy="default",
                          params="data.random_translation=0.1,data.random_zoom=0.1,data.random_rotation=10,"
                                 "data.random_contrast=0.2,data.random_flip=horizontal"), augmented_dir)
  export_dir = str(tmp_path / "export")
  report = Exporter(augmented_dir, export_dir, modes="float32", log=lambda line: None).run()
  assert report["passed"]
  plain_dir, _ = digits_export
  ops = lambda directory: TfliteOps.read(os.path.join(directory, "tflite", "digits_cnn_float32.tflite")).ops
  assert ops(export_dir) == ops(plain_dir)
  model = ModelArtifact.load(augmented_dir).load_model()
  assert not [layer for layer in model._flatten_layers() if "random" in type(layer).__name__.lower()]
  # At inference the served model is a function of its input alone.
  served = tf.saved_model.load(os.path.join(export_dir, "serving", "digits_cnn", "1")).signatures["serving_default"]
  pixels = tf.constant(digits_pixels()[0][:64])
  first, second = served(pixels=pixels), served(pixels=pixels)
  for name in first:
    np.testing.assert_array_equal(first[name].numpy(), second[name].numpy())
  np.testing.assert_allclose(first["logits"].numpy(), model(pixels, training=False).numpy(), atol=1e-4)


def test_the_unrolled_lstm_takes_any_batch_size(lstm_model_dir, tmp_path):
  # The fused LSTM keeps batch 1 (test_text_models_pass_in_every_mode); unrolled, the same model takes any.
  report = Exporter(lstm_model_dir, str(tmp_path), modes="float32", max_examples=60, lstm_graph="unrolled",
                    **_QUIET).run()
  assert report["passed"], report["failures"]
  float32 = _artifact(report, "tflite", "float32")
  assert float32["any_batch_size"] and float32["input"]["shape"][0] == -1
  assert float32["batch_logit_difference"] <= 1e-4 and "UNIDIRECTIONAL_SEQUENCE_LSTM" not in {
      op["name"] for op in float32["ops"]["ops"]}


def test_int16x8_is_integer_only_and_passes_the_int8_gates(digits_model_dir, tmp_path):
  report = Exporter(digits_model_dir, str(tmp_path), modes="float32,int16x8", **_QUIET).run()
  assert report["passed"], report["failures"]
  entry = _artifact(report, "tflite", "int16x8")
  assert entry["ops"]["integer_only"], entry["ops"]["float_ops"]
  assert (entry["input"]["dtype"], entry["input"]["zero_point"]) == ("int16", 0)
  assert (entry["output"]["dtype"], entry["output"]["zero_point"]) == ("int16", 0)
  assert entry["micro"]["ran"] and entry["micro"]["top1_agreement"] >= 0.99, entry["micro"]
  assert report["recommendations"]["npu_mcu"]["mode"] == "int16x8"  # full_int8 was not exported
  # The edge runtime quantizes raw pixel values with the file's int16 scale.
  artifact = ModelArtifact.load(digits_model_dir)
  pixels, _ = data_lib.load_dataset(artifact.config.data).split_arrays("test")
  logits = EdgeClassifier(entry["path"]).predict_logits(pixels[:100].astype(np.float32))
  float32 = EdgeClassifier(_artifact(report, "tflite", "float32")["path"]).predict_logits(pixels[:100].astype(np.float32))
  assert float((logits.argmax(-1) == float32.argmax(-1)).mean()) >= 0.99


def test_a_file_whose_metadata_cannot_go_inside_stays_as_verified_and_fails(digits_model_dir, tmp_path, monkeypatch):
  def refuse(model, metadata, version=None):
    raise ExportError("the writer refused")

  monkeypatch.setattr(tflite_metadata, "embed", refuse)
  report = Exporter(digits_model_dir, str(tmp_path), modes="float32", max_examples=50, **_QUIET).run()
  entry = _artifact(report, "tflite", "float32")
  assert not entry["passed"] and "metadata_bytes" not in entry
  assert entry["failures"] == ["metadata not written inside the file: the writer refused"]
  assert report["failures"] == ["tflite float32: metadata not written inside the file: the writer refused"]
  # The verified file is still there, without metadata inside; its .json beside it describes it.
  assert ModelMetadata.read_embedded(entry["path"]) is None
  assert EdgeClassifier(entry["path"]).labels == ModelArtifact.load(digits_model_dir).label_names
