"""An exported `.tflite` file loaded into LiteRT together with its metadata, each checked against the other."""

from __future__ import annotations

import os

from ai_edge_litert.interpreter import Interpreter

from edge.edge_error import EdgeError
from edge.model_metadata import PREFILL, ModelMetadata, TensorInfo


class TfliteModel:
  """Loads a `.tflite` file and its metadata, and checks that the metadata describes the file's tensors.

  Args:
    model_path: the `.tflite` file.
    metadata_path: its metadata; default: `NAME_MODE.json` beside `NAME_MODE.tflite` when there is one, else the
      metadata inside the file (`ModelMetadata.read_embedded`).
    num_threads: CPU threads for the interpreter; default: LiteRT's choice.
    signature: the signature the metadata's `input` and `output` describe, in a file with several; default: a
      language model's `prefill` when the metadata lists signatures, else the file's single subgraph. A signature's
      `output` is its `logits` output when it has several.

  Attributes:
    metadata: the metadata, validated.
    interpreter: the LiteRT interpreter, tensors allocated.
    signature_runner: the runner of `signature` (None without one).
    input_details: the interpreter's details of the input tensor.
    output_details: the interpreter's details of the output tensor.

  Raises:
    EdgeError: a file is missing or unusable, or the metadata does not describe the model.
  """

  def __init__(self, model_path: str | os.PathLike, metadata_path: str | os.PathLike | None = None,
               num_threads: int | None = None, signature: str | None = None):
    model_path = os.fspath(model_path)
    if not os.path.isfile(model_path):
      raise EdgeError(f"Model file {model_path} not found: give an exported .tflite file (the exporter writes "
                      "OUT/tflite/NAME_MODE.tflite).")
    if num_threads is not None and (isinstance(num_threads, bool) or not isinstance(num_threads, int)
                                    or num_threads < 1):
      raise EdgeError(f"num_threads must be an integer >= 1, got {num_threads!r}.")
    _check_tflite_file(model_path)
    self.metadata, metadata_path = _metadata(model_path, metadata_path)
    try:
      self.interpreter = Interpreter(model_path=model_path, num_threads=num_threads)
      self.interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
      raise EdgeError(f"{model_path} is not a TFLite model this runtime can run ({str(error).strip()}): re-export "
                      "or re-copy it (the file may be truncated), with TFLite builtin ops only.") from None
    self.signature_runner = None
    info = self.metadata.language_model
    if signature is None and info is not None and info.signatures:
      # A language model with several signatures: the metadata's input and output are prefill's.
      signature = PREFILL
    if signature is None:
      inputs, outputs = self.interpreter.get_input_details(), self.interpreter.get_output_details()
    elif signature not in self.interpreter.get_signature_list():
      raise EdgeError(f"{model_path} has no signature {signature!r} (it has "
                      f"{sorted(self.interpreter.get_signature_list())}): use the metadata exported with this model.")
    else:
      self.signature_runner = self.interpreter.get_signature_runner(signature)
      inputs = list(self.signature_runner.get_input_details().values())
      output_details = self.signature_runner.get_output_details()
      outputs = [output_details["logits"]] if "logits" in output_details else list(output_details.values())
    if len(inputs) != 1 or len(outputs) != 1:
      raise EdgeError(f"{model_path} has {len(inputs)} inputs and {len(outputs)} outputs: an exported model has one "
                      "of each.")
    for role, details, expected in (("input", inputs[0], self.metadata.input),
                                    ("output", outputs[0], self.metadata.output)):
      difference = expected.mismatch(TensorInfo.from_details(details))
      if difference:
        raise EdgeError(f"{metadata_path} does not describe {model_path}: the {role}'s {difference} (metadata != "
                        "model). Use the metadata exported with this model.")
    self.input_details = inputs[0]
    self.output_details = outputs[0]


def _metadata(model_path: str, metadata_path: str | os.PathLike | None) -> tuple[ModelMetadata, str]:
  """The metadata given, else the JSON beside the file, else the one inside it; and where it was read."""
  if metadata_path is not None:
    return ModelMetadata.read(metadata_path), os.fspath(metadata_path)
  beside = ModelMetadata.path_for(model_path)
  if os.path.exists(beside):
    return ModelMetadata.read(beside), beside
  embedded = ModelMetadata.read_embedded(model_path)
  if embedded is None:
    raise EdgeError(f"{model_path} has no metadata: neither {os.path.basename(beside)} beside it nor metadata inside "
                    "it (files exported before the metadata went inside them). Copy the .json exported with it, "
                    "give its path, or re-export the model.")
  return embedded, f"the metadata inside {model_path}"


# A TFLite model is a FlatBuffer whose file identifier, bytes 4-7, is "TFL3".
_TFLITE_IDENTIFIER = b"TFL3"


def _check_tflite_file(path: str) -> None:
  """Raises `EdgeError` naming what `path` is when it is not a TFLite model (before its metadata is looked for)."""
  try:
    with open(path, "rb") as f:
      head = f.read(8)
  except OSError as error:
    raise EdgeError(f"Cannot read model file {path} ({error.strerror or error}): check its permissions.") from None
  if head[4:8] == _TFLITE_IDENTIFIER:
    return
  if head[:2] == b"PK":  # a zip: what Keras saves as model.keras
    raise EdgeError(f"{path} is a Keras model (.keras, a zip file); the edge runtime runs exported .tflite files. "
                    "Export the trained model first: the exporter writes OUT/tflite/NAME_MODE.tflite and its "
                    "NAME_MODE.json.")
  raise EdgeError(f"{path} is not a TFLite model this runtime can run (no 'TFL3' identifier at byte 4): re-export "
                  "or re-copy it (the file may be truncated or damaged); exported models are "
                  "OUT/tflite/NAME_MODE.tflite.")
