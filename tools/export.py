r"""Exports a trained model: a TF Serving SavedModel and TFLite files, each verified against the Keras model.

  python tools/export.py --model_dir=runs/digits_cnn --export_dir=exports/digits_cnn

Writes OUT/serving/<name>/<version>/ (SavedModel with TF Serving warmup requests) with OUT/serving/models.config and
batching_parameters.txt, OUT/tflite/<name>_<mode>.tflite with <name>_<mode>.json (metadata for the edge runtime), and
OUT/report.json, report.md and PNG charts. Exits 1 when an artifact fails its verification gates (the report names the
artifact and the figure). Only some modes, or looser gates:
  --modes=float32,full_int8 --int8_min_agreement=0.95
Training data that has moved since training (images:DIR, csv:PATH, text:PATH), or another set with the same labels:
  --dataset=images:/new/place/of/DIR
A language model (--model=transformer_lm or lstm_lm) exports the same way: a next-token and a generate signature,
next-token .tflite files, gated by perplexity (--int8_max_perplexity_ratio).
Serving repository: keep only the 3 newest versions (and labelled ones), pin the label stable to version 2:
  --keep=3 --label=stable=2        (tools/serving_repository.py moves labels without exporting)
"""

import dataclasses
import sys

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

from export.tflite.tflite_modes import DEFAULT_MODE_NAMES, MODE_NAMES  # pylint: disable=g-import-not-at-top
from export.verification_gates import VerificationGates  # pylint: disable=g-import-not-at-top

_MODEL_DIR = flags.DEFINE_string("model_dir", None, "A trained model directory.", required=True)
_EXPORT_DIR = flags.DEFINE_string("export_dir", None, "Where the artifacts and the report go.", required=True)
_MODES = flags.DEFINE_list("modes", list(DEFAULT_MODE_NAMES), f"TFLite modes: any of {', '.join(MODE_NAMES)} "
                           "(int16x8: int16 activations for NPUs and microcontrollers, asked for by name).")
_CALIBRATION_SAMPLES = flags.DEFINE_integer("calibration_samples", 200,
                                            "Training examples the full_int8 converter calibrates on.")
_VERSION = flags.DEFINE_integer("version", None, "Serving version (default: 1 + the largest existing one).")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace an existing serving version.")
_KEEP = flags.DEFINE_integer("keep", None, "Once published, keep only this many newest serving versions (and the "
                             "labelled ones); default: keep all.")
_LABEL = flags.DEFINE_multi_string("label", [], "Version label for models.config, NAME=VERSION, e.g. stable=3 "
                                   "(repeat for several); other labels are kept.")
_REMOVE_LABEL = flags.DEFINE_multi_string("remove_label", [], "Version label to drop from models.config.")
_SERVING_BASE_PATH = flags.DEFINE_string("serving_base_path", None, "Where TF Serving sees OUT/serving (the docker -v "
                                         "mount point); default: as in models.config, else /models.")
_DATASET = flags.DEFINE_string("dataset", "", "Verify and calibrate on this data set instead of the training one, "
                               "e.g. images:NEW_DIR after the training folder moved; the labels must be the same.")
_MAX_EXAMPLES = flags.DEFINE_integer("max_examples", None, "Verify on this many test examples (default: all).")
_LSTM_GRAPH = flags.DEFINE_enum("lstm_graph", "fused", ["fused", "unrolled"],
                                "LSTM in TFLite: the fused LSTM op, or unrolled over the sequence.")
_NUM_THREADS = flags.DEFINE_integer("num_threads", 1, "LiteRT threads when verifying the .tflite files.")
# Gate overrides: one flag per VerificationGates field, of its name and help; unset flags keep the gate's default.
_GATE_FLAGS = {field.name: flags.DEFINE_float(field.name, None, f"Gate: {field.metadata['help']}.")
               for field in dataclasses.fields(VerificationGates)}


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from export.serving.serving_repository import parse_labels  # pylint: disable=g-import-not-at-top
  from tfmodels.training.model_artifact import ModelArtifact  # pylint: disable=g-import-not-at-top
  gates = VerificationGates(**{name: flag.value for name, flag in _GATE_FLAGS.items() if flag.value is not None})
  with cli.user_errors_exit():
    ModelArtifact.load(_MODEL_DIR.value)  # before TensorFlow's start-up: a wrong directory is named at once
    from export.export_config import ExportConfig  # pylint: disable=g-import-not-at-top
    from export.exporter import Exporter  # pylint: disable=g-import-not-at-top
    config = ExportConfig(modes=_MODES.value, calibration_samples=_CALIBRATION_SAMPLES.value, version=_VERSION.value,
                          overwrite=_OVERWRITE.value, keep=_KEEP.value, labels=parse_labels(_LABEL.value),
                          remove_labels=_REMOVE_LABEL.value, serving_base_path=_SERVING_BASE_PATH.value,
                          max_examples=_MAX_EXAMPLES.value, dataset=_DATASET.value, gates=gates,
                          lstm_graph=_LSTM_GRAPH.value, num_threads=_NUM_THREADS.value)
    exporter = Exporter(_MODEL_DIR.value, _EXPORT_DIR.value, config)
    report = exporter.run()
  if not report["passed"]:
    print("error: export failed verification:\n  " + "\n  ".join(report["failures"]), file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
  app.run(main)
