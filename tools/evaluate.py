r"""Evaluates a trained model directory.

  python tools/evaluate.py --model_dir=runs/digits_cnn
  python tools/evaluate.py --model_dir=runs/novels_transformer_lm

A classifier: accuracy, loss, per-class figures; writes evaluation_<split>.json and confusion_matrix_<split>.png. A
language model: perplexity per character, the Kneser-Ney bigram reference on the same windows, next-character
accuracy; writes evaluation_<split>.json and perplexity_by_position_<split>.png. Both into --output_dir (default: the
model directory).
"""

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_MODEL_DIR = flags.DEFINE_string("model_dir", None, "A trained model directory.", required=True)
_DATASET = flags.DEFINE_string("dataset", "", "Another data set with the same labels, or another corpus for a language "
                               "model (default: the training one).")
_SPLIT = flags.DEFINE_enum("split", "test", ["train", "validation", "test"], "Split to evaluate.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "", "Where the figures go (default: the model directory).")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from tfmodels.training.model_artifact import ModelArtifact  # pylint: disable=g-import-not-at-top
  with cli.user_errors_exit():
    artifact = ModelArtifact.load(_MODEL_DIR.value)  # before TensorFlow's start-up: a wrong directory is named at once
    from tfmodels.training.evaluation import evaluate_artifact  # pylint: disable=g-import-not-at-top
    evaluate_artifact(artifact, dataset_name=_DATASET.value, split=_SPLIT.value, output_dir=_OUTPUT_DIR.value,
                      log=print)


if __name__ == "__main__":
  app.run(main)
