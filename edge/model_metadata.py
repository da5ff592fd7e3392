"""The JSON description of every exported `.tflite` model: what goes in, what comes out, what it means.

`OUT/tflite/NAME_MODE.tflite` is described by `OUT/tflite/NAME_MODE.json` (`ModelMetadata.path_for`), and the same
JSON is inside the file itself, as the associated file `tfmodels_metadata.json` of its standard TFLite metadata
(`export/tflite/tflite_metadata.py`; `ModelMetadata.read_embedded`), so that the `.tflite` alone is enough. The exporter
writes both and the edge runtime reads them with this one class, so the format has a single definition. A file looks
like:

  {
    "format_version": 1,
    "model_name": "digits_cnn",
    "architecture": "cnn",
    "task": "image_classification",
    "mode": "full_int8",
    "labels": ["0", "1", ...],
    "input": {"name": "serving_default_pixels:0", "dtype": "int8", "shape": [1, 8, 8, 1],
              "scale": 1.0, "zero_point": -128},
    "output": {"name": "StatefulPartitionedCall_1:0", "dtype": "int8", "shape": [1, 10],
               "scale": 0.0208, "zero_point": 28},
    "image": {"height": 8, "width": 8, "channels": 1, "value_range": [0.0, 255.0]},
    "text": null,
    "source": {...},
    "verification": {...}
  }

The output tensor holds logits (scores before softmax); the edge runtime applies the softmax.

A language model (task `language_model`, `edge.EdgeLanguageModel`) has no labels: its input is a window of
`language_model.sequence_length` int32 token ids, its output the logits of the next token, one per token of
`language_model.vocabulary` (the character vocabulary, embedded so that the `.tflite` file and its JSON are all the
edge runtime needs):

    "labels": [],
    "input": {"name": "serving_default_token_ids:0", "dtype": "int32", "shape": [1, 128], ...},
    "output": {"name": "StatefulPartitionedCall_1:0", "dtype": "float32", "shape": [1, 84], ...},
    "image": null, "text": null,
    "language_model": {"vocabulary": ["", "\ufffd", " ", "e", ...], "sequence_length": 128,
                       "signatures": {"prefill": {"inputs": ["tokens"], "outputs": ["kv_cache_k_0", ..., "logits"]},
                                      "decode": {"inputs": ["input_pos", "kv_cache_k_0", ..., "tokens"], ...}},
                       "cache": ["kv_cache_k_0", "kv_cache_v_0", ...]},

A language-model file holds two signatures (`language_model.signatures`), which share one copy of the weights:
`prefill`, whose `tokens` input and `logits` output `input` and `output` describe (a right-padded window in, the
logits of the token after its last real one out: the next-token model), and `decode`; `language_model.cache` names
their cache tensors in order (`export.tflite.next_token_graph.generation_signatures`). A transformer's file also has
shorter prefills, `prefill_<n>` (`short_prefill_key`): the first n positions of a window, with the cache of those
positions (litert-torch names its prefill signatures by length so). A file with no `signatures` (older exports) holds
the next-token model alone, as its single subgraph.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Any
import zipfile

import numpy as np

from edge.char_vocabulary import CharVocabulary
from edge.edge_error import EdgeError
from edge.text_tokenizer import OOV_TOKEN, PADDING_TOKEN, SPLIT_NAMES, STANDARDIZE_NAMES
from tfmodels.atomic_files import write_text

FORMAT_VERSION = 1
# The name of this metadata inside a `.tflite` file: an associated file of its standard TFLite metadata
# (`export/tflite/tflite_metadata.py`), in the zip archive appended to the model.
EMBEDDED_NAME = "tfmodels_metadata.json"
# The signatures of a cached language-model file; `input` and `output` describe PREFILL's `tokens` and `logits`.
PREFILL, DECODE = "prefill", "decode"


def short_prefill_key(length: int) -> str:
  """The key of a prefill signature that reads the first `length` positions of a window (shorter than PREFILL's)."""
  return f"{PREFILL}_{length}"


def prefill_keys(signatures) -> list[str]:
  """The prefill signatures among signature keys: PREFILL, and `short_prefill_key`'s."""
  return [key for key in signatures if key == PREFILL or (key.startswith(f"{PREFILL}_")
                                                          and key[len(PREFILL) + 1:].isdigit())]

TASKS = ("image_classification", "text_classification", "language_model")
# The TFLite modes, in their order everywhere: the one list (export/tflite/tflite_modes.py maps each to its converter
# settings, the gates and the benchmark read it from here; this module imports nothing of TensorFlow).
# Each mode names the family of gates it is verified by (`export.verification_gates`): the files with int8 weights
# share the int8 gates.
MODE_GATES = {"float32": "float32", "float16": "float16", "dynamic_int8": "int8", "full_int8": "int8",
              "int16x8": "int8"}
MODES = tuple(MODE_GATES)
# What an export produces unless told otherwise: `int16x8` (int16 activations, for NPUs and accuracy) is asked for.
DEFAULT_MODES = ("float32", "float16", "dynamic_int8", "full_int8")
TENSOR_DTYPES = ("uint8", "int8", "int16", "int32", "float32")
# Quantized integer tensors and the range of their stored values.
_QUANTIZED_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


@dataclasses.dataclass(frozen=True)
class TensorInfo:
  """One input or output tensor of the model, as the interpreter reports it.

  Attributes:
    name: tensor name, as in the interpreter's `get_input_details()[0]["name"]`.
    dtype: numpy dtype name: `uint8`, `int8`, `int16`, `int32` or `float32`.
    shape: dimensions, as the interpreter's `shape_signature`: the batch dimension is -1 when the model accepts any
      batch size.
    scale: quantization scale of an `int8`/`uint8`/`int16` tensor (`real = (q - zero_point) * scale`); None when the tensor
      is not quantized.
    zero_point: quantization zero point; None when the tensor is not quantized.
  """

  name: str
  dtype: str
  shape: tuple[int, ...]
  scale: float | None = None
  zero_point: int | None = None

  def __post_init__(self):
    _set_tuple(self, "shape")
    if isinstance(self.scale, int) and not isinstance(self.scale, bool):
      object.__setattr__(self, "scale", float(self.scale))

  @property
  def quantized(self) -> bool:
    """Whether values are stored as `q` with `real = (q - zero_point) * scale`."""
    return self.scale is not None

  def quantize(self, values: np.ndarray) -> np.ndarray:
    """Real values -> what the tensor stores (unchanged but for the dtype when it is not quantized)."""
    dtype = np.dtype(self.dtype)
    if not self.quantized:
      return np.asarray(values).astype(dtype, copy=False)
    # As TFLite's QUANTIZE kernel: float32 arithmetic, rounding half away from zero, then the zero point.
    scaled = np.asarray(values).astype(np.float32) / np.float32(self.scale)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))
    limits = np.iinfo(dtype)
    return np.clip(rounded + self.zero_point, limits.min, limits.max).astype(dtype)

  def dequantize(self, values: np.ndarray) -> np.ndarray:
    """What the tensor stores -> real values, float32."""
    if not self.quantized:
      return np.asarray(values).astype(np.float32, copy=False)
    return ((np.asarray(values).astype(np.float32) - np.float32(self.zero_point)) *
            np.float32(self.scale)).astype(np.float32)

  @classmethod
  def from_details(cls, details: dict[str, Any]) -> "TensorInfo":
    """Builds the description of one entry of an interpreter's `get_input_details()`/`get_output_details()`."""
    scale, zero_point = details["quantization"]
    shape = details.get("shape_signature")
    if shape is None or len(shape) == 0:
      shape = details["shape"]
    # The interpreter reports an unquantized tensor as scale 0.
    quantized = float(scale) != 0.0
    return cls(name=str(details["name"]), dtype=np.dtype(details["dtype"]).name,
               shape=tuple(int(d) for d in shape), scale=float(scale) if quantized else None,
               zero_point=int(zero_point) if quantized else None)

  def mismatch(self, other: "TensorInfo") -> str | None:
    """Returns a description of how `other` differs from this tensor, or None when they agree."""
    for field in ("name", "dtype", "shape", "zero_point"):
      if getattr(self, field) != getattr(other, field):
        return f"{field} {getattr(self, field)!r} != {getattr(other, field)!r}"
    if (self.scale is None) != (other.scale is None) or (
        self.scale is not None and not math.isclose(self.scale, other.scale, rel_tol=1e-6)):
      return f"scale {self.scale!r} != {other.scale!r}"
    return None


@dataclasses.dataclass(frozen=True)
class ImageInfo:
  """How images are shaped for the model.

  Attributes:
    height: image height in pixels.
    width: image width in pixels.
    channels: 1 (grey) or 3 (RGB).
    value_range: `(low, high)` the pixel values 0..255 are mapped to, linearly, before quantization. `(0, 255)` means
      the model takes raw pixel values (and rescales them itself).
  """

  height: int
  width: int
  channels: int
  value_range: tuple[float, float] = (0.0, 255.0)

  def __post_init__(self):
    _set_tuple(self, "value_range")
    if isinstance(self.value_range, tuple):
      object.__setattr__(self, "value_range", tuple(
          float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in self.value_range))


@dataclasses.dataclass(frozen=True)
class TextInfo:
  """How texts become token ids for the model (Keras `TextVectorization`, reproduced by `TextTokenizer`).

  Attributes:
    vocabulary: tokens, index = token id, as `TextVectorization.get_vocabulary()` returns them: `""` (padding) at 0,
      `"[UNK]"` (out of vocabulary) at 1.
    sequence_length: token ids per text (padded at the end or truncated).
    standardize: the vectorizer's `standardize` option.
    split: the vectorizer's `split` option.
  """

  vocabulary: tuple[str, ...]
  sequence_length: int
  standardize: str | None = "lower_and_strip_punctuation"
  split: str | None = "whitespace"

  def __post_init__(self):
    _set_tuple(self, "vocabulary")


@dataclasses.dataclass(frozen=True)
class LanguageModelInfo:
  """How a language model reads text (`CharVocabulary`) and how far back it looks.

  Attributes:
    vocabulary: the character vocabulary's tokens, index = token id: `""` (padding) at 0, `"\ufffd"` (unknown) at 1,
      then one character each.
    sequence_length: the context window: the model reads the last this many tokens, right-padded with id 0.
    signatures: the file's signatures, `{key: {"inputs": [names], "outputs": [names]}}`; empty when the file holds
      the next-token model alone.
    cache: names of the cache tensors of `prefill` and `decode`, in the model's cache order (empty without them).
  """

  vocabulary: tuple[str, ...]
  sequence_length: int
  signatures: dict[str, dict[str, list[str]]] = dataclasses.field(default_factory=dict)
  cache: tuple[str, ...] = ()

  def __post_init__(self):
    _set_tuple(self, "vocabulary")
    _set_tuple(self, "cache")

  @property
  def cached(self) -> bool:
    """Whether the file has the `prefill` and `decode` signatures."""
    return {PREFILL, DECODE} <= set(self.signatures)


@dataclasses.dataclass(frozen=True)
class ModelMetadata:
  """Everything the edge runtime needs to feed a `.tflite` model and read its answer. Validated on construction.

  Attributes:
    model_name: name of the exported model (`NAME` in `NAME_MODE.tflite`).
    architecture: model family (`cnn`, `lstm`, `transformer`, ...).
    task: `image_classification`, `text_classification` or `language_model`.
    mode: converter mode: `float32`, `float16`, `dynamic_int8`, `full_int8` or `int16x8`.
    labels: class names; output `i` is `labels[i]` (empty for a language model).
    input: the model's single input tensor.
    output: the model's single output tensor (logits, `(batch, len(labels))`; a language model's
      `(batch, len(language_model.vocabulary))`).
    image: image shaping; set exactly when `task` is `image_classification`.
    text: tokenization; set exactly when `task` is `text_classification`.
    language_model: vocabulary and context window; set exactly when `task` is `language_model`.
    source: where the Keras model came from (free-form, JSON-serializable).
    verification: figures measured when the file was exported (free-form, JSON-serializable).
    format_version: version of this format; a reader refuses versions it does not know.
  """

  model_name: str
  architecture: str
  task: str
  mode: str
  labels: tuple[str, ...]
  input: TensorInfo
  output: TensorInfo
  image: ImageInfo | None = None
  text: TextInfo | None = None
  language_model: LanguageModelInfo | None = None
  source: dict[str, Any] = dataclasses.field(default_factory=dict)
  verification: dict[str, Any] = dataclasses.field(default_factory=dict)
  format_version: int = FORMAT_VERSION

  def __post_init__(self):
    _set_tuple(self, "labels")
    self._validate()

  @staticmethod
  def path_for(model_path: str | os.PathLike) -> str:
    """Returns the metadata path of a model file: `NAME_MODE.tflite` -> `NAME_MODE.json`."""
    return os.path.splitext(os.fspath(model_path))[0] + ".json"

  def to_dict(self) -> dict[str, Any]:
    """Returns the metadata as JSON-ready values (lists for tuples), `format_version` first."""
    values = dataclasses.asdict(self)
    if values["language_model"] and not values["language_model"]["signatures"]:
      # A next-token file alone is written as before the cached signatures existed.
      del values["language_model"]["signatures"], values["language_model"]["cache"]
    ordered = {"format_version": values.pop("format_version"), **values}
    return json.loads(json.dumps(ordered))  # Tuples become lists, as they will be once read back.

  def to_json(self) -> str:
    """Returns the metadata as indented JSON text."""
    return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

  def write(self, path: str | os.PathLike) -> None:
    """Writes the metadata to `path`, creating its folder, atomically and synced (`tfmodels.atomic_files`): a reader
    never sees a partial file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_text(path, self.to_json())

  @classmethod
  def from_dict(cls, values: Any) -> "ModelMetadata":
    """Builds and validates metadata from parsed JSON; raises `EdgeError` naming the first bad field."""
    fields = _fields_of(cls, values, "metadata")
    version = fields.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
      raise EdgeError(f"Metadata format_version {version} is newer than this runtime reads ({FORMAT_VERSION}): "
                      "upgrade the edge runtime, or re-export the model with this version of the project.")
    for name, kind in (("input", TensorInfo), ("output", TensorInfo), ("image", ImageInfo), ("text", TextInfo),
                       ("language_model", LanguageModelInfo)):
      if fields.get(name) is not None:
        fields[name] = kind(**_fields_of(kind, fields[name], name))
    return cls(**fields)

  @classmethod
  def from_json(cls, text: str) -> "ModelMetadata":
    """Parses and validates metadata JSON text."""
    try:
      values = json.loads(text)
    except json.JSONDecodeError as error:
      raise EdgeError(f"Metadata is not valid JSON ({error}): re-export the model to rewrite it.") from None
    return cls.from_dict(values)

  @classmethod
  def read(cls, path: str | os.PathLike) -> "ModelMetadata":
    """Reads and validates the metadata file at `path`."""
    path = os.fspath(path)
    try:
      with open(path, encoding="utf-8") as f:
        text = f.read()
    except FileNotFoundError:
      raise EdgeError(f"Metadata file {path} not found: every exported NAME_MODE.tflite has its NAME_MODE.json "
                      "beside it; copy both, or give the metadata path explicitly.") from None
    except (OSError, UnicodeDecodeError) as error:
      raise EdgeError(f"Cannot read metadata file {path} ({error}): check the file, or re-export the model.") from None
    try:
      return cls.from_json(text)
    except EdgeError as error:
      raise EdgeError(f"{path}: {error}") from None

  @classmethod
  def read_embedded(cls, model_path: str | os.PathLike) -> "ModelMetadata | None":
    """Reads and validates the metadata inside a `.tflite` file; None when the file holds none."""
    model_path = os.fspath(model_path)
    try:
      # The associated files are a zip archive after the model's bytes; zipfile finds it from the end of the file.
      with zipfile.ZipFile(model_path) as archive:
        if EMBEDDED_NAME not in archive.namelist():
          return None
        text = archive.read(EMBEDDED_NAME).decode("utf-8")
    except (zipfile.BadZipFile, FileNotFoundError):
      return None
    except (OSError, UnicodeDecodeError, zipfile.LargeZipFile, RuntimeError) as error:
      raise EdgeError(f"Cannot read the metadata inside {model_path} ({error}): re-export or re-copy the model (the "
                      "file may be truncated).") from None
    try:
      return cls.from_json(text)
    except EdgeError as error:
      raise EdgeError(f"{model_path} ({EMBEDDED_NAME} inside it): {error}") from None

  def _validate(self) -> None:
    _check(_is_int(self.format_version) and self.format_version == FORMAT_VERSION, "format_version",
           self.format_version, f"{FORMAT_VERSION}")
    for name in ("model_name", "architecture"):
      _check(isinstance(getattr(self, name), str) and getattr(self, name), name, getattr(self, name),
             "a non-empty string")
    _check(self.task in TASKS, "task", self.task, f"one of {', '.join(TASKS)}")
    _check(self.mode in MODES, "mode", self.mode, f"one of {', '.join(MODES)}")
    for name in ("source", "verification"):
      _check(isinstance(getattr(self, name), dict) and _is_json(getattr(self, name)), name, getattr(self, name),
             "a JSON object")
    _validate_tensor(self.input, "input")
    _validate_tensor(self.output, "output")
    _check(self.output.dtype in ("float32", "int8", "uint8", "int16"), "output.dtype", self.output.dtype,
           "float32, int8, uint8 or int16")
    if self.task == "language_model":
      self._validate_language_model()
      return
    _check(isinstance(self.labels, tuple) and self.labels and all(isinstance(l, str) and l for l in self.labels),
           "labels", self.labels, "a non-empty list of non-empty strings")
    _check(len(set(self.labels)) == len(self.labels), "labels", self.labels, "distinct class names")
    _check(len(self.output.shape) == 2 and self.output.shape[1] == len(self.labels), "output.shape",
           self.output.shape, f"[batch, {len(self.labels)}] (one logit per label)")
    _check(self.language_model is None, "language_model", self.language_model, "null for a classifier")
    if self.task == "image_classification":
      self._validate_image()
    else:
      self._validate_text()

  def _validate_language_model(self) -> None:
    info = self.language_model
    _check(self.image is None, "image", self.image, "null for a language model")
    _check(self.text is None, "text", self.text, "null for a language model")
    _check(self.labels == (), "labels", self.labels, "an empty list for a language model (its outputs are tokens)")
    _check(isinstance(info, LanguageModelInfo), "language_model", info,
           "vocabulary and sequence_length for a language model")
    _check(isinstance(info.vocabulary, tuple), "language_model.vocabulary", info.vocabulary, "a list of tokens")
    try:
      CharVocabulary(info.vocabulary)
    except EdgeError as error:
      raise EdgeError(f"Invalid metadata field language_model.vocabulary: {error}") from None
    _check(isinstance(info.signatures, dict) and all(
        isinstance(key, str) and isinstance(names, dict) and set(names) == {"inputs", "outputs"}
        and all(isinstance(name, str) for role in names.values() for name in role)
        for key, names in info.signatures.items()), "language_model.signatures", info.signatures,
        '{signature key: {"inputs": [names], "outputs": [names]}}')
    if info.signatures:
      _check(info.cached and set(info.cache) <= set(info.signatures[DECODE]["inputs"])
             and all(set(info.cache) <= set(info.signatures[key]["outputs"]) for key in prefill_keys(info.signatures)),
             "language_model.cache", info.cache, "the cache tensors of the prefill and decode signatures")
    _check(_is_int(info.sequence_length) and info.sequence_length >= 1, "language_model.sequence_length",
           info.sequence_length, "an integer >= 1")
    _check(len(self.input.shape) == 2 and self.input.shape[1] == info.sequence_length, "input.shape",
           self.input.shape, f"[batch, {info.sequence_length}] (language_model.sequence_length)")
    _check(self.input.dtype == "int32" and not self.input.quantized, "input.dtype", self.input.dtype,
           "int32 token ids, not quantized")
    _check(len(self.output.shape) == 2 and self.output.shape[1] == len(info.vocabulary), "output.shape",
           self.output.shape, f"[batch, {len(info.vocabulary)}] (one logit per token of the vocabulary)")

  def _validate_image(self) -> None:
    image = self.image
    _check(self.text is None, "text", self.text, "null for an image model")
    _check(isinstance(image, ImageInfo), "image", image, "height, width, channels and value_range for an image model")
    for name in ("height", "width"):
      _check(_is_int(getattr(image, name)) and getattr(image, name) >= 1, f"image.{name}", getattr(image, name),
             "an integer >= 1")
    _check(image.channels in (1, 3) and _is_int(image.channels), "image.channels", image.channels, "1 or 3")
    _check(isinstance(image.value_range, tuple) and len(image.value_range) == 2
           and all(isinstance(v, float) and math.isfinite(v) for v in image.value_range)
           and image.value_range[0] < image.value_range[1], "image.value_range", image.value_range,
           "[low, high] with low < high")
    expected = (image.height, image.width, image.channels)
    _check(len(self.input.shape) == 4 and self.input.shape[1:] == expected, "input.shape", self.input.shape,
           f"[batch, {image.height}, {image.width}, {image.channels}] (image.height, width, channels)")
    _check(self.input.dtype in ("float32", "int8", "uint8", "int16"), "input.dtype", self.input.dtype,
           "float32, int8, uint8 or int16 for an image model")

  def _validate_text(self) -> None:
    text = self.text
    _check(self.image is None, "image", self.image, "null for a text model")
    _check(isinstance(text, TextInfo), "text", text, "vocabulary, sequence_length, standardize and split")
    _check(isinstance(text.vocabulary, tuple) and len(text.vocabulary) >= 2
           and text.vocabulary[:2] == (PADDING_TOKEN, OOV_TOKEN), "text.vocabulary", text.vocabulary,
           f"a list starting with {PADDING_TOKEN!r} (padding) and {OOV_TOKEN!r} (out of vocabulary)")
    _check(all(isinstance(token, str) for token in text.vocabulary), "text.vocabulary",
           next((t for t in text.vocabulary if not isinstance(t, str)), None), "strings only")
    _check(_is_int(text.sequence_length) and text.sequence_length >= 1, "text.sequence_length",
           text.sequence_length, "an integer >= 1")
    _check(text.standardize in STANDARDIZE_NAMES, "text.standardize", text.standardize,
           f"one of {', '.join(map(str, STANDARDIZE_NAMES))}")
    _check(text.split in SPLIT_NAMES, "text.split", text.split, f"one of {', '.join(map(str, SPLIT_NAMES))}")
    _check(len(self.input.shape) == 2 and self.input.shape[1] == text.sequence_length, "input.shape",
           self.input.shape, f"[batch, {text.sequence_length}] (text.sequence_length)")
    _check(self.input.dtype == "int32" and not self.input.quantized, "input.dtype", self.input.dtype,
           "int32 token ids, not quantized")


def _validate_tensor(tensor: Any, where: str) -> None:
  _check(isinstance(tensor, TensorInfo), where, tensor, "a tensor description (name, dtype, shape, ...)")
  _check(isinstance(tensor.name, str) and tensor.name, f"{where}.name", tensor.name, "a non-empty string")
  _check(tensor.dtype in TENSOR_DTYPES, f"{where}.dtype", tensor.dtype, f"one of {', '.join(TENSOR_DTYPES)}")
  shape = tensor.shape
  _check(isinstance(shape, tuple) and shape and all(_is_int(d) and d >= 1 for d in shape[1:])
         and _is_int(shape[0]) and (shape[0] >= 1 or shape[0] == -1), f"{where}.shape", shape,
         "a list of integers >= 1 (the first, the batch, may be -1)")
  _check((tensor.scale is None) == (tensor.zero_point is None), f"{where}.scale", tensor.scale,
         "set together with zero_point, or both null")
  if tensor.quantized:
    _check(tensor.dtype in _QUANTIZED_RANGES, f"{where}.scale", tensor.scale,
           f"null for a {tensor.dtype} tensor (only int8, uint8 and int16 are quantized)")
    _check(isinstance(tensor.scale, float) and math.isfinite(tensor.scale) and tensor.scale > 0, f"{where}.scale",
           tensor.scale, "a finite number > 0")
    low, high = _QUANTIZED_RANGES[tensor.dtype]
    _check(_is_int(tensor.zero_point) and low <= tensor.zero_point <= high, f"{where}.zero_point",
           tensor.zero_point, f"an integer in [{low}, {high}] for {tensor.dtype}")


def _fields_of(cls: type, values: Any, where: str) -> dict[str, Any]:
  """Checks that `values` is a JSON object with exactly the fields `cls` knows (defaults may be left out)."""
  if not isinstance(values, dict):
    raise EdgeError(f"Invalid {where}: expected a JSON object, got {type(values).__name__}.")
  known = {f.name: f for f in dataclasses.fields(cls)}
  unknown = sorted(set(values) - set(known))
  if unknown:
    raise EdgeError(f"Unknown {where} field(s) {', '.join(unknown)}: the known fields are {', '.join(known)}.")
  missing = [name for name, f in known.items() if name not in values
             and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
  if missing:
    prefix = "" if where == "metadata" else f"{where}."
    raise EdgeError(f"Metadata is missing field(s) {', '.join(prefix + m for m in missing)}: re-export the model, "
                    "or add them.")
  return dict(values)


def _check(ok: Any, field: str, value: Any, expected: str) -> None:
  if not ok:
    raise EdgeError(f"Invalid metadata field {field}={_short(value)}: expected {expected}.")


def _short(value: Any) -> str:
  text = repr(value)
  return text if len(text) <= 200 else text[:200] + "..."


def _is_int(value: Any) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)


def _is_json(value: Any) -> bool:
  try:
    json.dumps(value, allow_nan=False)
  except (TypeError, ValueError):
    return False
  return True


def _set_tuple(instance: Any, name: str) -> None:
  # JSON gives lists; tuples keep the frozen instances comparable and safe from mutation.
  if isinstance(getattr(instance, name), list):
    object.__setattr__(instance, name, tuple(getattr(instance, name)))
