"""What the trainer needs of a data set, whatever the task: classification or language modelling."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class TaskData:
  """A data set turned into model inputs and targets.

  Attributes:
    kind: `image`, `text` (classification) or `corpus` (language modelling).
    splits: `train`, `validation` and `test`, each an unbatched, cached `tf.data.Dataset` of `(inputs, targets)`:
      a class id per example for a classifier, the next token id at each position for a language model.
    num_examples: examples (images, texts or windows) in each split.
    model_args: keyword arguments of `build_model` besides the model config (`num_classes`, `feature_shape`,
      `vocab_size`, `sequence_length`).
    description: what `dataset.json` records of the data.
    test_figures: returns figures for `evaluation.json` that the task adds to the loss and accuracy, given the test
      loss (e.g. perplexities).
  """

  kind: str
  splits: dict[str, tf.data.Dataset]
  num_examples: dict[str, int]
  model_args: dict[str, Any]
  description: dict[str, Any]
  test_figures: Callable[[float], dict[str, Any]] = lambda loss: {}
