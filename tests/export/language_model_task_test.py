"""Tests of export/tasks/language_model_task.py: whole exports of tiny language models trained on a real novel."""

import dataclasses
import os

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.lite.tools import flatbuffer_utils

from ai_edge_litert import schema_py_generated as schema
from edge import EdgeLanguageModel, ModelMetadata
from edge.char_vocabulary import PADDING, UNKNOWN, CharVocabulary
from export.export_error import ExportError
from export.exporter import Exporter
from export.tasks.language_model_task import LanguageModelTask
from export.tflite.tflite_ops import TfliteOps
from export.serving.warmup_requests import read_warmup_requests
from tests.testing.language_models import (ARCHITECTURES, PROMPTS, SEQUENCE_LENGTH, TEST_GATES, TEST_WINDOWS,
                                           exported_language_model, trained_language_model)
from tfmodels.generation import KerasNextToken
from tfmodels.training.model_artifact import ModelArtifact

_MODES = ("float32", "float16", "dynamic_int8", "full_int8")


@dataclasses.dataclass(frozen=True)
class Export:
  architecture: str
  model_dir: str
  export_dir: str
  report: dict

  @property
  def name(self) -> str:
    return f"pride_{self.architecture}"

  def tflite(self, mode: str) -> str:
    return os.path.join(self.export_dir, "tflite", f"{self.name}_{mode}.tflite")


@pytest.fixture(scope="module", params=ARCHITECTURES)
def exported(request, tmp_path_factory) -> Export:
  root = tmp_path_factory.getbasetemp()
  export_dir, report = exported_language_model(root, request.param)
  return Export(request.param, trained_language_model(root, request.param), export_dir, report)


@pytest.fixture(scope="module")
def serving(exported):
  return tf.saved_model.load(os.path.join(exported.export_dir, "serving", exported.name, "1"))


def _artifact(report: dict, fmt: str, key: str) -> dict:
  return next(a for a in report["artifacts"] if a["format"] == fmt and (a.get("signature") or a["mode"]) == key)


@pytest.mark.slow
def test_every_artifact_passes_its_gates(exported):
  report = exported.report
  assert report["passed"] and report["failures"] == [], report["failures"]
  assert [(a["format"], a.get("signature") or a["mode"]) for a in report["artifacts"]] == [
      ("saved_model", "serving_default"), ("saved_model", "generate"), *(("tflite", mode) for mode in _MODES)]
  assert report["dataset"]["num_examples"] == TEST_WINDOWS and report["model"]["sequence_length"] == SEQUENCE_LENGTH
  float32 = _artifact(report, "tflite", "float32")
  for key in ("serving_default", "float32"):
    entry = _artifact(report, "saved_model" if key == "serving_default" else "tflite", key)
    assert entry["top1_agreement"] == 1.0 and entry["max_abs_logit_error"] <= 1e-3
    assert entry["perplexity"] == pytest.approx(report["reference_perplexity"], rel=1e-4)
  assert _artifact(report, "tflite", "float16")["top1_agreement"] >= 0.995
  for mode in ("dynamic_int8", "full_int8"):
    entry = _artifact(report, "tflite", mode)
    assert entry["perplexity_ratio"] <= 1.05 and entry["size_bytes"] < float32["size_bytes"]
  generate = _artifact(report, "saved_model", "generate")
  assert generate["passed"] and generate["generated_tokens"] == 3 * (SEQUENCE_LENGTH + 8)
  ops = {op["name"] for op in float32["ops"]["ops"]}
  assert not float32["ops"]["custom_ops"]
  if exported.architecture == "lstm_lm":
    # Cell steps in a loop: no fused LSTM op, so no state left in variable tensors between calls.
    assert "WHILE" in ops and float32["ops"]["variable_tensors"] == 0
    assert report["model"]["lstm_graph"] is None
  else:
    assert "BATCH_MATMUL" in ops and float32["ops"]["variable_tensors"] == 0


@pytest.mark.slow
def test_windows_verified_in_chunks_give_the_figures_of_one_pass(exported, tmp_path):
  # The shared export verified its windows in one chunk; here they come 64 at a time.
  report = Exporter(exported.model_dir, str(tmp_path), modes="float32", max_examples=TEST_WINDOWS, gates=TEST_GATES,
                    chunk_size=64, log=lambda line: None).run()
  assert report["passed"], report["failures"]
  assert report["dataset"] == exported.report["dataset"]
  assert report["reference_perplexity"] == exported.report["reference_perplexity"]
  figures = [name for name in LanguageModelTask.figure_names
             if name != "size_bytes" and not name.startswith("milliseconds")]
  for fmt, key in (("saved_model", "serving_default"), ("tflite", "float32")):
    chunked, whole = _artifact(report, fmt, key), _artifact(exported.report, fmt, key)
    assert {name: chunked[name] for name in figures} == {name: whole[name] for name in figures}, key


def test_the_layout_report_and_warmup_requests(exported):
  export_dir = exported.export_dir
  assert sorted(os.listdir(export_dir)) == ["logit_error_histogram.png", "perplexity_size_per_mode.png", "report.json",
                                            "report.md", "serving", "tflite"]
  assert sorted(os.listdir(os.path.join(export_dir, "tflite"))) == sorted(
      f"{exported.name}_{mode}.{ext}" for mode in _MODES for ext in ("json", "tflite"))
  with open(os.path.join(export_dir, "report.md"), encoding="utf-8") as f:
    markdown = f.read()
  assert "**PASSED**" in markdown and "| tflite full_int8 |" in markdown and "| SavedModel generate |" in markdown
  assert "greedy text equal to Keras' on 3 test prompts" in markdown
  assert ("tflite float32: greedy text through prefill and decode equal to full-window Keras' on 3 test prompts"
          in markdown)
  assert "| prefill ms | decode ms / token |" in markdown
  with open(os.path.join(export_dir, "perplexity_size_per_mode.png"), "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n"
  requests = read_warmup_requests(os.path.join(export_dir, "serving", exported.name, "1"))
  signatures = {log.predict_log.request.model_spec.signature_name for log in requests}
  assert signatures == {"serving_default", "generate"}
  generate = next(log.predict_log.request for log in requests if log.predict_log.request.model_spec.signature_name
                  == "generate")
  assert set(generate.inputs) == {"prompt", "max_tokens", "temperature", "top_k", "top_p", "seed"}


def test_the_next_token_signature_gives_keras_logits(exported, serving):
  artifact = ModelArtifact.load(exported.model_dir)
  vocabulary = artifact.char_vocabulary()
  model = artifact.load_model()
  windows = np.zeros((len(PROMPTS), SEQUENCE_LENGTH), np.int32)
  lengths = []
  for row, prompt in zip(windows, PROMPTS):
    ids = vocabulary.encode(prompt)[-SEQUENCE_LENGTH:]
    row[:len(ids)] = ids
    lengths.append(len(ids))
  outputs = serving.signatures["serving_default"](token_ids=tf.constant(windows))
  expected = model(windows).numpy()[np.arange(len(PROMPTS)), np.array(lengths) - 1]
  np.testing.assert_allclose(outputs["logits"].numpy(), expected, atol=1e-4)
  masked = expected.copy()
  masked[:, [PADDING, UNKNOWN]] = -np.inf
  assert outputs["next_token_id"].numpy().tolist() == masked.argmax(axis=-1).tolist()
  assert [token.decode("utf-8") for token in outputs["next_token"].numpy()] == [
      vocabulary.tokens[i] for i in masked.argmax(axis=-1)]
  np.testing.assert_allclose(outputs["probabilities"].numpy().sum(axis=-1), 1.0, atol=1e-5)


def _generate(serving, prompts, max_tokens=40, temperature=0.0, top_k=0, top_p=1.0, seed=0) -> list[str]:
  count = len(prompts)
  outputs = serving.signatures["generate"](
      prompt=tf.constant(prompts), max_tokens=tf.fill([count], max_tokens), temperature=tf.fill([count], temperature),
      top_k=tf.fill([count], top_k), top_p=tf.fill([count], top_p), seed=tf.constant(seed, shape=[count]))
  return [text.decode("utf-8") for text in outputs["text"].numpy()]


def test_the_generate_signature_gives_keras_greedy_text(exported, serving):
  keras_generator = KerasNextToken.generator(ModelArtifact.load(exported.model_dir))
  texts = _generate(serving, list(PROMPTS))
  assert texts == [keras_generator.generate(prompt, 40).text for prompt in PROMPTS]
  assert len(set(texts[0])) > 2  # real text, not one repeated character
  # top_k=1 leaves one candidate: sampling gives the greedy text.
  assert _generate(serving, list(PROMPTS), temperature=1.0, top_k=1, seed=5) == texts


def test_sampling_in_the_graph_is_reproducible_per_row(serving):
  first = _generate(serving, list(PROMPTS), temperature=1.0, top_p=0.9, seed=3)
  assert _generate(serving, list(PROMPTS), temperature=1.0, top_p=0.9, seed=3) == first
  assert _generate(serving, [PROMPTS[1]], temperature=1.0, top_p=0.9, seed=3) == first[1:2]
  assert _generate(serving, list(PROMPTS), temperature=1.0, top_p=0.9, seed=4) != first


def test_prompts_the_graph_cannot_read_give_empty_text(serving):
  outputs = serving.signatures["generate"](
      prompt=tf.constant(["", "\u4e2d\u6587", "It is"]), max_tokens=tf.constant([5, 5, 0]),
      temperature=tf.zeros(3), top_k=tf.zeros(3, tf.int32), top_p=tf.ones(3), seed=tf.zeros(3, tf.int32))
  assert outputs["text"].numpy().tolist() == [b"", b"", b""]
  assert outputs["unknown_characters"].numpy().tolist() == [0, 2, 0]


def test_metadata_makes_each_tflite_file_self_contained(exported):
  vocabulary = CharVocabulary.load(os.path.join(exported.model_dir, "char_vocabulary.json"))
  for mode in _MODES:
    metadata = ModelMetadata.read(ModelMetadata.path_for(exported.tflite(mode)))
    entry = _artifact(exported.report, "tflite", mode)
    assert (metadata.task, metadata.mode, metadata.labels) == ("language_model", mode, ())
    assert metadata.language_model.vocabulary == vocabulary.tokens
    assert metadata.language_model.sequence_length == SEQUENCE_LENGTH
    assert metadata.input.shape == (1, SEQUENCE_LENGTH) and metadata.input.dtype == "int32"
    assert metadata.output.shape == (1, vocabulary.size)
    assert metadata.verification["perplexity"] == entry["perplexity"] and metadata.verification["passed"]
    assert EdgeLanguageModel(exported.tflite(mode)).sequence_length == SEQUENCE_LENGTH  # metadata matches the file
  assert ModelMetadata.read(ModelMetadata.path_for(exported.tflite("full_int8"))).output.quantized


def test_exporter_hands_language_models_to_their_task(tmp_path_factory, tmp_path):
  lstm_dir = trained_language_model(tmp_path_factory.getbasetemp(), "lstm_lm")
  assert type(Exporter(lstm_dir, str(tmp_path / "out")).task) is LanguageModelTask
  with pytest.raises(ExportError, match="--lstm_graph=unrolled is for the LSTM classifier"):
    Exporter(lstm_dir, str(tmp_path / "out"), lstm_graph="unrolled")
  assert not os.path.exists(tmp_path / "out")


def test_an_lstm_prefill_is_one_cell_step_in_a_loop(tmp_path_factory):
  export_dir, _ = exported_language_model(tmp_path_factory.getbasetemp(), "lstm_lm")
  for mode in _MODES:
    ops = TfliteOps.read(os.path.join(export_dir, "tflite", f"pride_lstm_lm_{mode}.tflite"))
    # prefill loops over the real tokens (no unrolled window), and no fused LSTM holds the weights a second time.
    counts = {name: count for (name, _), count in ops.ops.items()}
    assert counts.get("WHILE") == 1 and "UNIDIRECTIONAL_SEQUENCE_LSTM" not in counts, mode


def test_full_int8_attention_scores_keep_a_range_of_real_scores(tmp_path_factory):
  export_dir, _ = exported_language_model(tmp_path_factory.getbasetemp(), "transformer_lm")
  model = flatbuffer_utils.read_model(os.path.join(export_dir, "tflite", "pride_transformer_lm_full_int8.tflite"))
  subgraph = model.subgraphs[0]
  softmax_inputs = [subgraph.tensors[op.inputs[0]] for op in subgraph.operators
                    if model.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.SOFTMAX]
  # Keras' -1e9 for masked scores would give a scale near 4e6, rounding every real score to zero.
  assert softmax_inputs and all(0 < tensor.quantization.scale[0] < 1 for tensor in softmax_inputs)


def test_each_file_has_prefill_and_decode_sharing_one_copy_of_the_weights(exported):
  parameters = ModelArtifact.load(exported.model_dir).load_model().count_params()
  # A transformer's file also has a prefill of half a window.
  short = [f"prefill_{SEQUENCE_LENGTH // 2}"] if exported.architecture == "transformer_lm" else []
  for mode in _MODES:
    entry = _artifact(exported.report, "tflite", mode)
    assert entry["milliseconds_per_prefill"] > 0 and entry["milliseconds_per_decode"] > 0, mode
    model = flatbuffer_utils.read_model(exported.tflite(mode))
    assert sorted(s.signatureKey.decode() for s in model.signatureDefs) == sorted(["decode", "prefill", *short])
    constants = [bytes(buffer.data) for buffer in model.buffers if buffer.data is not None and len(buffer.data) > 512]
    assert len(constants) == len(set(constants)), f"{mode}: a weight is stored twice"
    if mode == "float32":
      # One copy: the constants weigh what the float32 weights weigh (4 bytes per parameter), not twice it.
      assert sum(len(c) for c in constants) <= 1.1 * 4 * parameters
  assert _artifact(exported.report, "tflite", "float32")["greedy_text_equal"]
