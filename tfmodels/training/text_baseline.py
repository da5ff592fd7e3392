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


def tfidf_logistic_regression_accuracy(config: DataConfig) -> dict:
  """Returns test accuracy of TF-IDF (1-2 grams, sublinear tf) + logistic regression (C picked on validation)."""
  dataset = data_lib.load_dataset(config)
  if dataset.kind != "text":
    raise data_lib.DataError(f"Data set '{dataset.name}' holds images; the TF-IDF reference needs text.")
  texts = {split: [t.decode("utf-8") for t in dataset.split_arrays(split)[0]] for split in dataset.splits}
  labels = {split: dataset.split_arrays(split)[1] for split in dataset.splits}
  vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
  train = vectorizer.fit_transform(texts["train"])
  best = None
  for c in (0.5, 1.0, 2.0, 4.0, 8.0):
    model = LogisticRegression(C=c, max_iter=2000).fit(train, labels["train"])
    accuracy = float(np.mean(model.predict(vectorizer.transform(texts["validation"])) == labels["validation"]))
    if best is None or accuracy > best[0]:
      best = (accuracy, c, model)
  validation_accuracy, c, model = best
  test_accuracy = float(np.mean(model.predict(vectorizer.transform(texts["test"])) == labels["test"]))
  return {"dataset": dataset.name, "accuracy": test_accuracy, "validation_accuracy": validation_accuracy, "C": c,
          "num_examples": int(len(labels["test"])), "method": "tfidf_1_2gram_logistic_regression"}
