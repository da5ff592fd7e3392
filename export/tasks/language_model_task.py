"""The export of a language model (`transformer_lm`, `lstm_lm`): next-token artifacts, generation in the graph and
in the signatures of each `.tflite` file.

It writes, into the layout every export has:

  OUT/serving/<name>/<version>/     SavedModel with `serving_default` (next token) and `generate` (prompt in, text
                                    out, the loop in the graph): `language_model_saved_model`; warmup requests for both
  OUT/tflite/<name>_<mode>.tflite   signatures sharing one copy of the weights, text generation in constant
                                    work per token with the cache as inputs and outputs
                                    (`next_token_graph.generation_signatures`): `prefill`, int32 token ids
                                    `(1, sequence_length)` in (a right-padded window), the logits `(1, vocab_size)` of
                                    the token after its last real one and the cache out (the next-token model:
                                    int8 logits in `full_int8`, dequantized with the metadata), `decode`, one
                                    token in at its position, the next token's logits and the cache out, and for a
                                    transformer `prefill_<n>`, a prefill of half a window
  OUT/tflite/<name>_<mode>.json     its metadata, the character vocabulary included (`edge.EdgeLanguageModel`)
  OUT/report.json, report.md, perplexity_size_per_mode.png, logit_error_histogram.png

Verification (`next_token_verification`): every artifact's next-token logits on test windows cut to lengths
1..sequence_length, against Keras': the float32 gates on the SavedModel's `serving_default` and the float32 file,
top-1 agreement for float16, perplexity and size for the int8 modes (`VerificationGates`). A `.tflite` file is
scored through the path generation runs on (`DecodePathRunner`: each window's first half prefilled, the rest
decoded token by token), which also gives its milliseconds per prefill and per decoded character. The float32 file
must give full-window Keras' greedy text (`KerasNextToken`) through `prefill` and `decode` (the edge runtime,
re-reading a whole window at each slide) on prompts taken from the test text, long enough to slide the window; the
`generate` signature must give the text of Keras' cached path (`KerasNextToken.generator`) on them.
"""

from __future__ import annotations

import dataclasses
import functools
import os

import keras
import numpy as np
import tensorflow as tf

from edge.char_vocabulary import UNKNOWN
from edge.edge_language_model import EdgeLanguageModel
from edge.model_metadata import LanguageModelInfo, ModelMetadata, short_prefill_key
from edge.text_generator import TextGenerator
from export.serving import language_model_saved_model
from export import next_token_verification
from export.serving import warmup_requests
from export.artifact_result import ArtifactResult
from export.tflite.decode_path_runner import DecodePathRunner
from export.export_config import ExportConfig
from export.export_error import ExportError
from export.tflite.micro_check import MicroCheck
from export.tflite.next_token_graph import DECODE, PREFILL, generation_signatures, short_prefill_lengths
from export.tasks.export_task import FIGURES, ExportTask
from export.tflite.tflite_conversion import write_signature_samples, write_signatures_saved_model
from export.tflite.tflite_modes import TfliteMode
from export.verification_set import VerificationSet
from tfmodels import data as data_lib
from tfmodels.data import stream_sample
from tfmodels.generation.keras_cached_language_model import KerasCachedLanguageModel
from tfmodels.generation.keras_next_token import KerasNextToken
from tfmodels.models.lstm_lm import LstmLm
from tfmodels.training.model_artifact import ModelArtifact

_CALIBRATION_SEED = 0
# The bound of an LSTM's cell states in integer-only files (TFLite's own LSTM op has the same): their int8 cell state
# then has steps of 10/127 ~ 0.08. Without it, a pride.txt model had +-38 (steps of 0.28) and 1.20x Keras' perplexity;
# with it 1.0002x (Keras has no bound; the gate measures against Keras).
INT8_CELL_CLIP = 10.0
_KERAS_BATCH = 256
# The generate signature is checked on this many test prompts, the longest 1.5 windows long.
_GENERATION_PROMPTS = 3
# Warmup requests ask for this many tokens: enough to run the loop, short enough for a quick model load.
_WARMUP_TOKENS = 4


class LanguageModelTask(ExportTask):
  """Exports a language model (see the module docstring).

  `max_examples` caps the test windows (spread evenly over the test split), `calibration_samples` the training
  windows `full_int8` calibrates on. An `LstmLm` goes into TFLite as its Keras LSTM cells, one step per token
  (`--lstm_graph` is the classifier's).
  """

  conversion_signatures = (PREFILL, DECODE)  # and a model's shorter prefills, once `write_conversion_model` knows them
  figure_names = FIGURES + ("perplexity", "reference_perplexity", "perplexity_ratio", "milliseconds_per_prefill",
                            "milliseconds_per_decode")

  def __init__(self, artifact: ModelArtifact, config: ExportConfig, name: str):
    super().__init__(artifact, config, name)
    if artifact.model_name == "lstm_lm" and config.lstm_graph != "fused":
      raise ExportError(f"--lstm_graph={config.lstm_graph} is for the LSTM classifier: a language model's LSTMs go "
                        "into TFLite as one cell step per token (prefill and decode). Leave --lstm_graph out.")
    self.vocabulary = artifact.char_vocabulary()
    self.sequence_length = artifact.config.data.sequence_length
    self._keras_model = None  # set by write_conversion_model: the cache names and calibration decodes need it

  @functools.cached_property
  def _corpus(self):
    return data_lib.load_corpus(self.data_config)

  def test_set(self) -> VerificationSet:
    """Test windows spread evenly over the test split, each cut to its scoring length; labels are the next tokens.

    The windows are streamed from the corpus' records again on each pass, a chunk at a time; they are their own
    model inputs (and the raw features: a language model has no other).
    """
    total = self._corpus.num_windows("test", self.sequence_length)
    chosen = next_token_verification.evenly_spaced(total, self.config.max_examples)
    windows = stream_sample.at_positions(self._corpus.windows("test", self.vocabulary, self.sequence_length), total,
                                         chosen)

    def batches():
      offset = 0
      for inputs, targets in windows.batch(self.config.chunk_size).as_numpy_iterator():
        # Window i of the chosen ones is scored at length 1 + i % sequence_length, wherever its chunk starts.
        lengths = next_token_verification.scoring_lengths(offset + len(inputs), self.sequence_length)[offset:]
        offset += len(inputs)
        yield next_token_verification.cut_windows(inputs, targets, lengths)

    return VerificationSet(batches, lambda features: features, num_examples=len(chosen), available=total,
                           dataset_name=self.artifact.dataset_name, chunk_size=self.config.chunk_size)

  def calibration_inputs(self) -> np.ndarray:
    # Streamed: only the sample is kept, however large the training split.
    total = self._corpus.num_windows("train", self.sequence_length)
    sample = stream_sample.sampled(self._corpus.windows("train", self.vocabulary, self.sequence_length), total,
                                   self.config.calibration_samples, _CALIBRATION_SEED)
    inputs, targets = self._window_arrays(sample)
    windows, _ = next_token_verification.cut_windows(
        inputs, targets, next_token_verification.scoring_lengths(len(inputs), self.sequence_length))
    return windows

  def _window_arrays(self, windows: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Windows of `TextCorpus.windows` as int32 `(inputs, targets)` arrays, each `(N, sequence_length)`."""
    inputs, targets = [], []
    for batch_inputs, batch_targets in windows.batch(_KERAS_BATCH).as_numpy_iterator():
      inputs.append(batch_inputs)
      targets.append(batch_targets.astype(np.int32))
    empty = np.zeros((0, self.sequence_length), np.int32)
    return (np.concatenate(inputs), np.concatenate(targets)) if inputs else (empty, empty.copy())

  def reference_logits(self, model: keras.Model, test_set: VerificationSet) -> np.ndarray:
    """Keras' logits after the last real token of each window: `(N, vocab_size)`."""
    return test_set.collect(lambda features, inputs: _keras_next_token_logits(model, inputs))

  def figures(self, logits: np.ndarray, reference_logits: np.ndarray, labels: np.ndarray) -> dict:
    return next_token_verification.next_token_figures(logits, reference_logits, labels)

  def output_failures(self, outputs: dict[str, np.ndarray]) -> list[str]:
    names = set(language_model_saved_model.NEXT_TOKEN_OUTPUTS)
    if set(outputs) != names:
      return [f"outputs {sorted(outputs)} != {sorted(names)}"]
    failures = []
    logits = outputs["logits"].astype(np.float64)
    softmax = np.exp(logits - logits.max(axis=-1, keepdims=True))
    softmax /= softmax.sum(axis=-1, keepdims=True)
    if not np.allclose(outputs["probabilities"], softmax, atol=1e-5):
      failures.append("probabilities differ from the softmax of the logits")
    logits[:, :UNKNOWN + 1] = -np.inf  # padding and unknown are never the next token
    if outputs["next_token_id"].dtype != np.int64 or not np.array_equal(outputs["next_token_id"],
                                                                         logits.argmax(axis=-1)):
      failures.append("next_token_id is not the int64 argmax of the logits over the generated tokens")
    else:
      expected = [self.vocabulary.tokens[i] for i in outputs["next_token_id"]]
      if [value.decode("utf-8") for value in outputs["next_token"]] != expected:
        failures.append("next_token differs from the vocabulary's token of next_token_id")
    return failures

  def report_header(self, model, test_set, reference_logits) -> dict:
    header = super().report_header(model, test_set, reference_logits)
    header["model"].update(vocabulary_size=self.vocabulary.size, sequence_length=self.sequence_length)
    header["dataset"].update(scoring=f"test window i predicts the token after its first 1 + i % "
                                     f"{self.sequence_length} tokens (right-padded)")
    header["reference_perplexity"] = next_token_verification.perplexity(reference_logits, test_set.labels)
    return header

  def signature_names(self) -> tuple[str, ...]:
    return language_model_saved_model.SIGNATURES

  def write_saved_model(self, model, staged, test_set, reference_logits, errors,
                        warmup_batch_sizes) -> list[ArtifactResult]:
    language_model_saved_model.write_language_model_saved_model(model, staged, self.vocabulary, self.sequence_length)
    loaded, size = self.loaded(staged)
    next_token = self.verify_signature(loaded.signatures["serving_default"], lambda features, inputs: inputs,
                                       test_set, reference_logits, errors,
                                       ArtifactResult.saved_model("serving_default", size_bytes=size))
    prompts = self._generation_prompts()
    generate = self._verify_generation(loaded.signatures["generate"], model, prompts,
                                       ArtifactResult.saved_model("generate", size_bytes=size))
    results = [next_token, generate]
    if all(result.passed for result in results):
      _, windows = test_set.head(max(warmup_batch_sizes))
      examples = {"serving_default": {"token_ids": windows},
                  "generate": _generate_inputs(prompts, _WARMUP_TOKENS)}
      logs = warmup_requests.warmup_requests(self.name, examples, warmup_batch_sizes)
      warmup_requests.write_warmup_requests(staged, logs)
      for result in results:
        result.record(warmup_requests=len(logs))
    return results

  def _generation_prompts(self) -> list[str]:
    """Prompts cut from the test text at evenly spaced places: short, half a window, one and a half windows."""
    lengths = [max(1, self.sequence_length // 8), max(1, self.sequence_length // 2), 3 * self.sequence_length // 2]
    total = self._corpus.num_characters["test"]
    starts = np.linspace(0, max(total - lengths[-1], 0), _GENERATION_PROMPTS).astype(int)
    excerpts = self._corpus.excerpts("test", [(int(start), length) for start, length in zip(starts, lengths)])
    # As the model sees them: characters outside the vocabulary read as unknown.
    return [self.vocabulary.decode(self.vocabulary.encode(excerpt)) for excerpt in excerpts]

  def _verify_generation(self, signature, model: keras.Model, prompts: list[str],
                         result: ArtifactResult) -> ArtifactResult:
    """Greedy text of the `generate` signature against the Keras model's cached path, token by token."""
    max_tokens = self.sequence_length + 8  # past the end of the window, so that it slides
    outputs = signature(**{name: tf.constant(values)
                           for name, values in _generate_inputs(prompts, max_tokens).items()})
    keras_generator = TextGenerator(KerasCachedLanguageModel(model), self.vocabulary, self.sequence_length)
    failures = []
    for index, (prompt, ids) in enumerate(zip(prompts, outputs["token_ids"].numpy())):
      expected = np.array(keras_generator.generate(prompt, max_tokens).token_ids)
      differences = np.flatnonzero(ids != expected)
      if len(differences):
        failures.append(f"greedy generation differs from Keras for prompt {index} from token {differences[0]} on")
    return result.record(input="prompt", outputs=sorted(outputs), num_examples=len(prompts),
                         generated_tokens=len(prompts) * max_tokens).gated(failures)

  def write_conversion_model(self, model: keras.Model, path: str) -> None:
    """The two signatures of cached generation, in one SavedModel (one `.tflite` file, one copy of the weights).

    No whole-window next-token signature beside them: a prefill is one (its logits are the next token's), and a
    third subgraph would repeat every weight's quantization parameters and, for an `LstmLm`, hold its weights a
    second time in the fused LSTM op's layout (measured: the int8 files then miss the size gate, 0.39-0.47x).
    """
    self._keras_model = model
    signatures = generation_signatures(model)
    self.conversion_signatures = tuple(signatures)
    write_signatures_saved_model(signatures, path)

  def _integer_options(self, model: keras.Model) -> dict:
    """What the integer-only graph asks of the model: an `LstmLm` bounds its cell states (`INT8_CELL_CLIP`)."""
    return {"cell_clip": INT8_CELL_CLIP} if isinstance(model, LstmLm) else {}

  def write_integer_conversion_model(self, model: keras.Model, path: str) -> bool:
    options = self._integer_options(model)
    if options:
      write_signatures_saved_model(generation_signatures(model, **options), path)
    return bool(options)

  def write_representative(self, calibration: np.ndarray, work_dir: str) -> str:
    """Calibration samples of every signature, from the same training windows: each window as a prefill input (its
    first n positions for a `prefill_<n>`), and, for windows of length L >= 2, a decode of token L-1 on Keras'
    cache of the first L-1 (as the integer-only graph computes it: an LSTM's cell states bounded)."""
    model = self._keras_model
    windows = calibration[:, None]  # (N, 1, T): one batch-1 input per sample
    lengths = np.count_nonzero(calibration, axis=1)
    decoded = np.flatnonzero(lengths >= 2)
    prefix = calibration[decoded].copy()
    prefix[np.arange(len(decoded)), lengths[decoded] - 1] = 0
    _, cache = model.prefill(prefix, **self._integer_options(model)) if len(decoded) else (None, ())
    decode = {"tokens": calibration[decoded, lengths[decoded] - 1][:, None, None].astype(np.int32),
              "input_pos": (lengths[decoded] - 1)[:, None].astype(np.int32),
              **{name: np.asarray(tensor, np.float32)[:, None] for name, tensor in zip(model.cache_names(), cache)}}
    path = os.path.join(work_dir, "representative.npz")
    samples = {PREFILL: {"tokens": windows}}
    samples.update({short_prefill_key(length): {"tokens": windows[:, :, :length]}
                    for length in short_prefill_lengths(model)})
    if len(decoded):
      samples[DECODE] = decode
    write_signature_samples(samples, path)
    return path

  def micro_check(self, path: str, runner, test_set, logits) -> dict:
    check = MicroCheck(ran=False, error="its Python interpreter runs a file's first subgraph only, and generation "
                                        "needs both the prefill and the decode signature")
    return {**check.to_dict(), "summary": check.summary()}

  def any_batch_size(self, runner) -> bool:
    # One text is generated at a time: prefill and decode keep their batch of 1, and their cache tensors its shape.
    return False

  def tflite_runner(self, path: str) -> DecodePathRunner:
    return DecodePathRunner(path, self._keras_model.cache_names(), num_threads=self.config.num_threads)

  def finish_tflite(self, mode: TfliteMode, result: ArtifactResult) -> ArtifactResult:
    """The float32 file must also give full-window Keras' greedy text through its cached path."""
    if mode.name != "float32" or not result.path:
      return result
    failures = self._cached_text_failures(result.path)
    result.record(generation_prompts=_GENERATION_PROMPTS,
                  generated_tokens=_GENERATION_PROMPTS * (self.sequence_length + 8), greedy_text_equal=not failures)
    if failures:
      for failure in failures:
        result.fail(failure)
      metadata_path = result.values["metadata_path"]
      metadata = ModelMetadata.read(metadata_path)
      dataclasses.replace(metadata, verification={**metadata.verification, "passed": False,
                                                  "failures": result.failures}).write(metadata_path)
    return result

  def _cached_text_failures(self, path: str) -> list[str]:
    """Greedy text of a file's prefill and decode signatures against full-window Keras', token by token."""
    max_tokens = self.sequence_length + 8  # past the end of the window, so that it slides
    edge = EdgeLanguageModel(path, num_threads=self.config.num_threads).generator(reprefill_length=self.sequence_length)
    keras_generator = TextGenerator(KerasNextToken(self._keras_model), self.vocabulary, self.sequence_length)
    failures = []
    for index, prompt in enumerate(self._generation_prompts()):
      expected = np.array(keras_generator.generate(prompt, max_tokens).token_ids)
      differences = np.flatnonzero(np.array(edge.generate(prompt, max_tokens).token_ids) != expected)
      if len(differences):
        failures.append(f"greedy generation through prefill and decode differs from full-window Keras for prompt "
                        f"{index} from token {differences[0]} on")
    return failures

  def metadata(self, mode: TfliteMode, runner: DecodePathRunner, result: ArtifactResult) -> ModelMetadata:
    artifact = self.artifact
    figures = ("num_examples", "accuracy", "reference_accuracy", "top1_agreement", "perplexity",
               "reference_perplexity", "perplexity_ratio", "max_abs_logit_error", "mean_abs_logit_error",
               "milliseconds_per_example", "milliseconds_per_prefill", "milliseconds_per_decode", "size_bytes",
               "passed", "failures")
    # The cached path's timings belong to the result too (the base class records milliseconds_per_example only).
    result.record(milliseconds_per_prefill=round(1000 * runner.seconds_per_prefill, 4),
                  milliseconds_per_decode=result.values["milliseconds_per_example"])
    entry = result.to_dict()
    signatures = {key: {"inputs": list(names["inputs"]), "outputs": list(names["outputs"])}
                  for key, names in runner.signatures.items()}
    return ModelMetadata(
        model_name=self.name, architecture=artifact.model_name, task="language_model", mode=mode.name, labels=(),
        input=runner.input, output=runner.output,
        language_model=LanguageModelInfo(vocabulary=self.vocabulary.tokens, sequence_length=self.sequence_length,
                                         signatures=signatures, cache=self._keras_model.cache_names()),
        source=self.source(result),
        verification={"split": "test", **{key: entry[key] for key in figures}})


def _keras_next_token_logits(model: keras.Model, windows: np.ndarray) -> np.ndarray:
  """Keras' logits after the last real token of each right-padded window: `(N, vocab_size)`."""
  last = np.maximum(np.count_nonzero(windows, axis=1) - 1, 0)
  parts = []
  for start in range(0, len(windows), _KERAS_BATCH):
    logits = np.asarray(model(windows[start:start + _KERAS_BATCH], training=False), np.float32)  # (batch, T, V)
    parts.append(logits[np.arange(len(logits)), last[start:start + len(logits)]])
  return np.concatenate(parts)


def _generate_inputs(prompts: list[str], max_tokens: int) -> dict[str, np.ndarray]:
  """Inputs of the `generate` signature for greedy decoding of `prompts`, one row each."""
  count = len(prompts)
  return {"prompt": np.array([prompt.encode("utf-8") for prompt in prompts], dtype=object),
          "max_tokens": np.full(count, max_tokens, np.int32), "temperature": np.zeros(count, np.float32),
          "top_k": np.zeros(count, np.int32), "top_p": np.ones(count, np.float32), "seed": np.zeros(count, np.int32)}
