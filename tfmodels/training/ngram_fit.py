"""Fits a text classifier's n-gram model on the training split and weighs it against the network on validation.

On small text data a linear model over word 1-2 grams is hard to beat: the networks learn their words from a few
thousand texts, while the n-gram model needs only their counts. A classifier built with `ngram_buckets > 0`
(`TextClassifier`) carries such a model beside its network ("wide and deep"), and this module sets its weights once
the network is trained:

1. The n-gram model: naive-Bayes-weighted logistic regression (NBSVM's NB-LR: each n-gram count is scaled by the log
   ratio of its frequency in the class and outside it, then a logistic regression is fitted; Wang & Manning, 2012),
   one against the rest per class, over the features the layer itself reads (`HashedNgramLogits.feature_ids`), on
   at most `FIT_LIMIT` training texts. The regularisation C is chosen on validation accuracy.
2. The blend: final logits = `network_weight` x the network's + `ngram_weight` x the n-gram model's, the two weights
   chosen on a grid by validation log-loss (either may be 0: a network that adds nothing is weighed out, and the
   other way round). Both are folded into the weights (the output layer's and the n-gram table), so the model's
   graph and size do not change.

While the network trains, the n-gram model's weights are zero: it adds nothing, and the network learns on its own (an
n-gram model fitted on the training split is sure of every training text, so a network trained beside it would learn
little).
"""

from __future__ import annotations

from collections.abc import Callable
import concurrent.futures
import itertools
import os

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
import tensorflow as tf

from tfmodels.layers.hashed_ngram_logits import HashedNgramLogits
from tfmodels.models.text_classifier import TextClassifier
from tfmodels.training.text_baseline import FIT_LIMIT

# Bigram rows of the n-gram model chosen from the data (`ngram_buckets_for`): 2**18 leaves few collisions among the
# ~10**5 bigrams of 10,000 short texts (with 2**16, NB-LR over word presence lost 2.3 points of validation accuracy
# on one such set), halved while the table would hold more than `MAX_TABLE_WEIGHTS` (8 MiB as float32, 2 MiB as
# int8), down to `MIN_BUCKETS`.
NGRAM_BUCKETS = 2**18
MAX_TABLE_WEIGHTS = 2**21
MIN_BUCKETS = 2**12
C_VALUES = (1.0, 3.0, 10.0)
# The weights tried for each side of the blend.
BLEND_WEIGHTS = tuple(np.round(np.linspace(0.0, 3.0, 31), 2))
_BATCH = 1024


def ngram_buckets_for(vocab_size: int, num_classes: int) -> int:
  """The bigram rows of an n-gram model over `vocab_size` token ids and `num_classes` classes (constants above)."""
  buckets = NGRAM_BUCKETS
  while buckets > MIN_BUCKETS and (vocab_size + buckets) * num_classes > MAX_TABLE_WEIGHTS:
    buckets //= 2
  return buckets


def fit_ngram_model(model: TextClassifier, train: tf.data.Dataset, validation: tf.data.Dataset,
                    log: Callable[[str], None] = print) -> dict:
  """Fits `model.ngram_logits` and the blend (module docstring); returns the figures for `evaluation.json`.

  Args:
    model: a trained classifier with an n-gram model. Its n-gram weights are overwritten and its output layer is
      scaled by the blend, so fit the network as trained (the trainer reloads its best weights before each fit).
    train: the training split, unbatched `(token ids, label)`; at most `FIT_LIMIT` texts are read.
    validation: the validation split, unbatched `(token ids, label)`; at most `FIT_LIMIT` texts are read.
    log: where the summary line goes.
  """
  layer = model.ngram_logits
  layer.table.assign(tf.zeros_like(layer.table))  # the network alone
  layer.bias.assign(tf.zeros_like(layer.bias))
  train_features, train_labels, _ = _read(layer, train, with_ids=False)
  validation_features, validation_labels, validation_ids = _read(layer, validation, with_ids=True)
  fits = zip(_naive_bayes_logistic(train_features, train_labels, layer.num_classes, C_VALUES), C_VALUES)
  scored = [(_accuracy(validation_features @ table + bias, validation_labels), c, table, bias)
            for (table, bias), c in fits]
  ngram_accuracy, c, table, bias = max(scored, key=lambda row: (row[0], -row[1]))  # a tie takes the smaller C
  ngram_logits = validation_features @ table + bias
  network_logits = np.concatenate([model(batch, training=False).numpy() for batch in validation_ids])
  network_weight, ngram_weight = _blend(network_logits, ngram_logits, validation_labels)
  combined = network_weight * network_logits + ngram_weight * ngram_logits
  figures = {"method": "naive_bayes_logistic_regression_word_1_2_grams", "C": c,
             "train_examples": int(train_labels.size), "buckets": layer.buckets,
             "network_weight": network_weight, "ngram_weight": ngram_weight,
             "validation_accuracy": {"network": _accuracy(network_logits, validation_labels),
                                     "ngrams": ngram_accuracy, "combined": _accuracy(combined, validation_labels)}}
  model.logits.kernel.assign(model.logits.kernel * network_weight)
  model.logits.bias.assign(model.logits.bias * network_weight)
  layer.table.assign((table * ngram_weight).astype(np.float32))
  layer.bias.assign((bias * ngram_weight).astype(np.float32))
  accuracy = figures["validation_accuracy"]
  log(f"N-gram model (naive-Bayes-weighted logistic regression over word 1-2 grams, C={c:g}, "
      f"{figures['train_examples']:,} training texts): validation accuracy {accuracy['ngrams']:.4f}; the network "
      f"alone {accuracy['network']:.4f}; blended (network x{network_weight:g} + n-grams x{ngram_weight:g}, chosen on "
      f"validation log-loss) {accuracy['combined']:.4f}.")
  return figures


def _read(layer: HashedNgramLogits, split: tf.data.Dataset, with_ids: bool):
  """The split's n-gram counts (sparse, texts x `layer.num_features`), labels, and its token-id batches if asked."""
  rows, labels, id_batches, count = [], [], [], 0
  for ids, batch_labels in split.take(FIT_LIMIT).batch(_BATCH):
    features = layer.feature_ids(ids).numpy()  # (batch, n-grams), 0 = none
    texts = np.repeat(np.arange(count, count + len(features)), features.shape[1])
    kept = features.ravel() > 0
    rows.append((texts[kept], features.ravel()[kept]))
    labels.append(batch_labels.numpy())
    if with_ids:
      id_batches.append(ids)
    count += len(features)
  text_index = np.concatenate([r for r, _ in rows]) if rows else np.zeros(0, np.int64)
  feature_index = np.concatenate([f for _, f in rows]) if rows else np.zeros(0, np.int64)
  counts = sparse.csr_matrix((np.ones(text_index.size, np.float64), (text_index, feature_index)),
                             shape=(count, layer.num_features))
  counts.sum_duplicates()
  return counts, (np.concatenate(labels) if labels else np.zeros(0, np.int64)), id_batches


def _naive_bayes_logistic(counts: sparse.csr_matrix, labels: np.ndarray, num_classes: int,
                          c_values: tuple[float, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
  """NB-LR, one against the rest per class, for each of `c_values`: the table `(num_features, num_classes)` and bias
  `(num_classes,)` whose `counts @ table + bias` are the logits (two classes: one model, split evenly between the two
  logits). The classes are fitted in parallel threads (the solver spends its time in numpy and scipy, outside the
  interpreter lock)."""
  tables = [np.zeros((counts.shape[1], num_classes)) for _ in c_values]
  biases = [np.zeros(num_classes) for _ in c_values]

  def fit_class(k: int) -> None:
    positive = labels == k
    if not positive.any() or positive.all():  # one side has no text: the class's logit is its prior alone
      for bias in biases:
        bias[k] = 0.0 if positive.all() else -20.0
      return
    inside = 1.0 + np.asarray(counts[positive].sum(axis=0)).ravel()  # add-one smoothed counts
    outside = 1.0 + np.asarray(counts[~positive].sum(axis=0)).ravel()
    ratio = np.log(inside / inside.sum()) - np.log(outside / outside.sum())
    scaled = counts @ sparse.diags(ratio)
    for table, bias, c in zip(tables, biases, c_values):
      regression = LogisticRegression(C=c, max_iter=2000).fit(scaled, positive.astype(int))
      table[:, k] = ratio * regression.coef_[0]
      bias[k] = regression.intercept_[0]

  classes = [1] if num_classes == 2 else list(range(num_classes))
  with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(classes), os.cpu_count() or 1)) as pool:
    list(pool.map(fit_class, classes))
  for table, bias in zip(tables, biases):
    table[0] = 0.0  # the padding id reads nothing
    if num_classes == 2:
      table[:, 1] /= 2
      table[:, 0] = -table[:, 1]
      bias[1] /= 2
      bias[0] = -bias[1]
  return list(zip(tables, biases))


def _blend(network: np.ndarray, ngrams: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
  """The weights (network, n-grams) on `BLEND_WEIGHTS` whose blend has the lowest log-loss on `labels`."""
  best = None
  for network_weight, ngram_weight in itertools.product(BLEND_WEIGHTS, BLEND_WEIGHTS):
    if network_weight == ngram_weight == 0.0:
      continue
    loss = _log_loss(network_weight * network + ngram_weight * ngrams, labels)
    if best is None or loss < best[0]:
      best = (loss, float(network_weight), float(ngram_weight))
  return best[1], best[2]


def _log_loss(logits: np.ndarray, labels: np.ndarray) -> float:
  shifted = logits - logits.max(axis=1, keepdims=True)
  log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
  return float(-np.mean(log_probabilities[np.arange(labels.size), labels]))


def _accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
  return float(np.mean(np.argmax(logits, axis=1) == labels)) if labels.size else 0.0
