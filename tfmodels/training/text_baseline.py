"""A classical reference for text classification: TF-IDF over word 1-2 grams + logistic regression.

Trained on the same training split and scored on the same test split as the neural models, so the figures in
BENCHMARKS.md compare like with like.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from tfmodels.config import DataConfig
from tfmodels import data as data_lib


# The reference is fitted on at most this many training texts and chooses C on at most this many validation texts,
# so it stays a matter of seconds to minutes on data sets of any size; it is always scored on the whole test split.
FIT_LIMIT = 100_000


def tfidf_logistic_regression_accuracy(config: DataConfig, dataset: data_lib.LoadedDataset | None = None) -> dict:
  """Returns test accuracy of TF-IDF (1-2 grams, sublinear tf) + logistic regression (C picked on validation).

  Args:
    config: the data set (read unless `dataset` is given).
    dataset: `config.data`'s data set, already loaded.
  """
  dataset = dataset or data_lib.load_dataset(config)
  if dataset.kind != "text":
    raise data_lib.DataError(f"Data set '{dataset.name}' holds images; the TF-IDF reference needs text.")
  arrays = {split: dataset.split_arrays(split, limit=None if split == "test" else FIT_LIMIT)
            for split in ("train", "validation", "test")}
  texts = {split: [t.decode("utf-8") for t in features] for split, (features, _) in arrays.items()}
  labels = {split: split_labels for split, (_, split_labels) in arrays.items()}
  vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
  train = vectorizer.fit_transform(texts["train"])
  validation = vectorizer.transform(texts["validation"])
  best = None
  for c in (0.5, 1.0, 2.0, 4.0, 8.0):
    model = LogisticRegression(C=c, max_iter=2000).fit(train, labels["train"])
    accuracy = float(np.mean(model.predict(validation) == labels["validation"])) if labels["validation"].size else 0.0
    if best is None or accuracy > best[0]:
      best = (accuracy, c, model)
  validation_accuracy, c, model = best
  test_accuracy = float(np.mean(model.predict(vectorizer.transform(texts["test"])) == labels["test"]))
  return {"dataset": dataset.name, "accuracy": test_accuracy, "validation_accuracy": validation_accuracy, "C": c,
          "num_examples": int(len(labels["test"])), "train_examples": int(len(labels["train"])),
          "method": "tfidf_1_2gram_logistic_regression"}
