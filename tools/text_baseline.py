r"""Scores the TF-IDF (1-2 grams) + logistic-regression reference on a text data set's test split.

  python tools/text_baseline.py --dataset=rotten_tomatoes
"""

import json

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_DATASET = flags.DEFINE_string("dataset", "rotten_tomatoes", "A text data set: rotten_tomatoes or csv:PATH.")
_DATA_DIR = flags.DEFINE_string("data_dir", "", "Cache of fetched and prepared data.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from tfmodels.config import DataConfig  # pylint: disable=g-import-not-at-top
  from tfmodels.training.text_baseline import tfidf_logistic_regression_accuracy  # pylint: disable=g-import-not-at-top
  with cli.user_errors_exit():
    print(json.dumps(tfidf_logistic_regression_accuracy(DataConfig(dataset=_DATASET.value,
                                                                   data_dir=_DATA_DIR.value)), indent=2))


if __name__ == "__main__":
  app.run(main)
