"""Puts a `.tflite` file's description inside it, in the standard TFLite metadata schema, so the file stands alone.

The schema is the one of `metadata_schema.fbs` (TensorFlow Lite Support; MediaPipe reads the same): a flatbuffer in
the model's `TFLITE_METADATA` buffer, and its associated files in a zip archive appended to the model. This module
writes it with TensorFlow Lite Support's own writer (`tensorflow_lite_support.metadata`); what it holds:

  general       name (`NAME_MODE`'s NAME), version (the export's serving version), description, author
  input         an image classifier's: ImageProperties (GRAYSCALE or RGB), NormalizationOptions (mean and std that map
                pixel values 0..255 to the model's `value_range`), stats; a text classifier's: a RegexTokenizer whose
                vocabulary file (`vocab.txt`, "token id" per line, `<PAD>` 0 and `<UNKNOWN>` 1) maps words to ids
  output        a classifier's: the logits, with `labels.txt` (TENSOR_AXIS_LABELS, one class name per line)
  files         `tfmodels_metadata.json` (DESCRIPTIONS): the whole `edge.ModelMetadata` (input quantization, the
                tokenizer's standardize/split options, a language model's character vocabulary and signatures, the
                figures the export measured), which is what the edge runtime reads (`ModelMetadata.read_embedded`)

The schema's tensor metadata describes one subgraph: a language-model file's first (its `decode`, or its single
next-token subgraph) gets default entries; its `prefill`/`decode` signatures and cache are in the JSON.

The writer's compiled parts need `libusb-1.0` (Debian `libusb-1.0-0`), and its package is installed without its
dependencies (its pins predate this TensorFlow): `scripts/setup.sh` does both.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile

from edge.model_metadata import EMBEDDED_NAME, ModelMetadata
from export.export_error import ExportError
from export.tflite.tflite_conversion import share_quantization_parameters
from export.tflite.tflite_modes import MODES

LABELS_NAME = "labels.txt"
VOCABULARY_NAME = "vocab.txt"
# The RegexTokenizer's special tokens (TensorFlow Lite Support's NLClassifier looks these up by name).
_PAD, _UNKNOWN = "<PAD>", "<UNKNOWN>"
# Words are split on whitespace after lowercasing and punctuation stripping (`TextInfo.standardize`).
_DELIMITER = r"\s+"


def embed(model: bytes, metadata: ModelMetadata, version: int | None = None) -> bytes:
  """Returns `model` with `metadata` inside it (the standard schema and its associated files).

  Raises:
    ExportError: TensorFlow Lite Support's metadata writer is not installed or cannot load.
  """
  writer, info, schema, writer_utils = _writer_modules()
  with tempfile.TemporaryDirectory(prefix="tflite-metadata-") as directory:

    def file(name: str, text: str) -> str:
      path = os.path.join(directory, name)
      with open(path, "w", encoding="utf-8") as f:
        f.write(text)
      return path

    general = info.GeneralMd(name=metadata.model_name, version=None if version is None else str(version),
                             description=_description(metadata), author="tfmodels").create_metadata()
    description = schema.AssociatedFileT()
    description.name = EMBEDDED_NAME
    description.description = ("The tfmodels edge runtime's description of this file (edge.ModelMetadata): "
                               "tensors, preprocessing, labels or vocabulary, and the export's figures.")
    description.type = schema.AssociatedFileType.DESCRIPTIONS
    general.associatedFiles = [description]
    files = [file(EMBEDDED_NAME, metadata.to_json())]
    inputs = outputs = None
    buffer = bytearray(model)
    if metadata.task != "language_model":
      inputs = [_input_metadata(metadata, info, schema, writer_utils.get_input_tensor_types(buffer)[0], file, files)]
      labels = file(LABELS_NAME, "\n".join(metadata.labels) + "\n")
      files.append(labels)
      outputs = [info.ClassificationTensorMd(
          name="logits", description="Class scores before softmax (the edge runtime applies it); class i is line i "
          f"of {LABELS_NAME}.", label_files=[info.LabelFileMd(labels)],
          tensor_type=writer_utils.get_output_tensor_types(buffer)[0]).create_metadata()]
    try:
      populated = bytes(writer.MetadataWriter.create_from_metadata(buffer, general, inputs, outputs, files).populate())
    except ValueError as error:  # the writer's checks of the model against the metadata
      raise ExportError(f"The metadata of {metadata.model_name} ({metadata.mode}) cannot be written into its "
                        f".tflite file: {error}") from None
  return _with_shared_parameters(populated) if MODES[metadata.mode].optimize else populated


def _with_shared_parameters(content: bytes) -> bytes:
  """`content` with each quantization-parameter table stored once again (`share_quantization_parameters`).

  The writer packs the model anew with TensorFlow Lite Support's own schema classes, which store every tensor's
  parameters again (the novels transformer's full_int8 file would go back from 0.308x to 0.358x float32). The model
  part is shared again, then the associated files are appended to it as a new zip archive (their offsets change).
  """
  with zipfile.ZipFile(io.BytesIO(content)) as archive:
    entries = [(info, archive.read(info)) for info in archive.infolist()]
  model_end = min(info.header_offset for info, _ in entries)  # absolute: zipfile counts the model before it
  result = io.BytesIO(share_quantization_parameters(content[:model_end]))
  result.seek(0, io.SEEK_END)
  with zipfile.ZipFile(result, "a") as archive:
    for info, data in entries:
      archive.writestr(info, data)
  return result.getvalue()


def _input_metadata(metadata: ModelMetadata, info, schema, tensor_type: int, file, files: list):
  if metadata.image is not None:
    image = metadata.image
    low, high = image.value_range
    # The model takes low + pixel * (high - low) / 255, i.e. (pixel - mean) / std.
    std = 255.0 / (high - low)
    return info.InputImageTensorMd(
        name="pixels", description=f"{image.height}x{image.width} image, {image.channels} channel(s), pixel values "
        f"0..255 mapped to {low:g}..{high:g}.", norm_mean=[-low * std], norm_std=[std],
        color_space_type=schema.ColorSpaceType.GRAYSCALE if image.channels == 1 else schema.ColorSpaceType.RGB,
        tensor_type=tensor_type).create_metadata()
  text = metadata.text
  words = [f"{_PAD} 0", f"{_UNKNOWN} 1"] + [f"{token} {index}" for index, token in enumerate(text.vocabulary)
                                             if index >= 2]
  vocabulary = file(VOCABULARY_NAME, "\n".join(words) + "\n")
  files.append(vocabulary)
  return info.InputTextTensorMd(
      name="token_ids", description=f"{text.sequence_length} word ids per text, padded with 0 at the end; "
      f"the text is standardized first ({text.standardize}), then split ({text.split}): the options are in "
      f"{EMBEDDED_NAME}.", tokenizer_md=info.RegexTokenizerMd(_DELIMITER, vocabulary)).create_metadata()


def check_writer() -> None:
  """Raises `ExportError`, naming the fix, when the metadata writer cannot load (checked before an export starts)."""
  _writer_modules()


def _description(metadata: ModelMetadata) -> str:
  what = {"image_classification": f"Classifies images into {len(metadata.labels)} classes",
          "text_classification": f"Classifies texts into {len(metadata.labels)} classes",
          "language_model": "Predicts the next character"}[metadata.task]
  return f"{what}; {metadata.architecture}, TFLite mode {metadata.mode}. Exported by tfmodels."


def _writer_modules():
  try:
    # pylint: disable=import-outside-toplevel  (loaded when a file is written: the rest of the export needs none of it)
    from tensorflow_lite_support.metadata import metadata_schema_py_generated as schema
    from tensorflow_lite_support.metadata.python.metadata_writers import metadata_info as info
    from tensorflow_lite_support.metadata.python.metadata_writers import metadata_writer as writer
    from tensorflow_lite_support.metadata.python.metadata_writers import writer_utils
  except ImportError as error:
    raise ExportError(f"TensorFlow Lite Support's metadata writer cannot load ({error}): run scripts/setup.sh, which "
                      "installs it (tflite-support, without its dependencies) and, as root, the libusb-1.0-0 "
                      "package its compiled parts need.") from None
  return writer, info, schema, writer_utils
