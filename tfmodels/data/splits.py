"""Deterministic, stratified train/validation/test splits.

A split the source already has is kept as it is; only the missing ones are carved out of the training examples,
class by class, with `DataConfig.split_seed`:

- digits (one source split): validation `validation_fraction` (0.1) and test `test_fraction` (0.2) of all
  1,797 examples, train the rest (0.7).
- fashion_mnist (official train 60,000 / test 10,000): validation is `validation_fraction` (0.1) of the official
  training set; the official test set stays the test split.
- rotten_tomatoes (one source split): as digits, 0.1 / 0.2 of all 12,808 snippets.
- user images and CSVs: whichever of validation and test the user did not supply is carved the same way, as a
  fraction of the user's training examples.

Each class contributes `round(n * fraction)` of its `n` examples to each carved split, so every split keeps the class
balance of the source. Every class keeps at least one training example: a class too small for its share (e.g. a
class of two examples with fractions 0.1 and 0.2) gives fewer, possibly none, to the carved splits, and a warning
names it. A carved split that would get no example at all (every class too small, e.g. two images per class) is
refused with the smallest class size that gives it one. The examples of each split are put in a seeded random order,
so a split never arrives sorted by class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from absl import logging
import numpy as np

from tfmodels.data.data_error import DataError


def stratified_split(labels: np.ndarray, fractions: Mapping[str, float], seed: int,
                     label_names: Sequence[str] = ()) -> dict[str, np.ndarray]:
  """Splits example indices by label into `train` plus one split per entry of `fractions`.

  Args:
    labels: integer label of each example.
    fractions: share of the examples of every class that goes to each carved split, e.g.
      `{"validation": 0.1, "test": 0.2}`; the rest goes to `train`.
    seed: makes the split reproducible; the same labels, fractions and seed always give the same split.
    label_names: names used in warnings about classes too small to stratify.

  Returns:
    Index arrays keyed by split name (`train` first, then the keys of `fractions`), each in a seeded random order.

  Raises:
    DataError: a split with a fraction above 0 would get no example (every class is too small for it).
  """
  labels = np.asarray(labels).reshape(-1)
  names = ("train", *fractions)
  rng = np.random.default_rng(seed)
  picked: dict[str, list[np.ndarray]] = {name: [] for name in names}
  warnings = []
  for label in np.unique(labels):
    members = rng.permutation(np.flatnonzero(labels == label))
    counts = _carved_counts(len(members), fractions)
    short = [name for name, fraction in fractions.items() if fraction > 0 and counts[name] == 0]
    if short:
      label_text = label_names[label] if len(label_names) > label else str(label)
      warnings.append((label_text, len(members), " or ".join(short)))
    start = 0
    for name in fractions:
      picked[name].append(members[start:start + counts[name]])
      start += counts[name]
    picked["train"].append(members[start:])
  # An empty test or validation split would make every figure measured on it vacuous (accuracy 0.0 on nothing).
  empty = [name for name, fraction in fractions.items() if fraction > 0 and not sum(map(len, picked[name]))]
  if empty:
    largest = int(np.unique(labels, return_counts=True)[1].max()) if labels.size else 0
    minimum = _smallest_class_for(fractions)
    raise DataError(
        f"Too few examples to carve {' and '.join(f'a {name} split' for name in empty)}: the largest class has "
        f"{largest} example(s), and a class needs at least {minimum} to give one to each split (fractions "
        f"{', '.join(f'{name} {fraction:g}' for name, fraction in fractions.items())}, one example kept for "
        f"training). Give every class at least {minimum} examples, or supply the {' and '.join(empty)} "
        f"split{'s' if len(empty) > 1 else ''} yourself (README, Data).")
  for label_text, size, short in warnings:
    logging.warning("Class '%s' has only %d example(s), too few to give any to %s; they stay in training.",
                    label_text, size, short)
  return {name: rng.permutation(np.concatenate(parts)) if parts else np.zeros((0,), np.int64)
          for name, parts in picked.items()}


def _carved_counts(size: int, fractions: Mapping[str, float]) -> dict[str, int]:
  """How many of a class of `size` examples go to each carved split: `round(size * fraction)`, one kept for train."""
  counts = {name: int(round(size * fraction)) for name, fraction in fractions.items()}
  # Keep one example for training: take the surplus from the largest carved share first.
  while sum(counts.values()) > size - 1:
    counts[max(counts, key=lambda name: (counts[name], name))] -= 1
  return counts


def _smallest_class_for(fractions: Mapping[str, float]) -> int:
  """The fewest examples a class needs to give every split with a fraction above 0 at least one."""
  size = 1
  while any(count == 0 for name, count in _carved_counts(size, fractions).items() if fractions[name] > 0):
    size += 1
  return size


def complete_splits(source: Mapping[str, tuple[np.ndarray, np.ndarray]], validation_fraction: float,
                    test_fraction: float, seed: int,
                    label_names: Sequence[str] = ()) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  """Returns `train`, `validation` and `test` `(features, labels)`, carving the missing ones out of `train`.

  Args:
    source: the splits the source has, as `(features, labels)` arrays; `train` is required.
    validation_fraction: share of the training examples carved for validation when `source` has none.
    test_fraction: share of the training examples carved for testing when `source` has none.
    seed: the split seed.
    label_names: names used in warnings about classes too small to stratify.
  """
  fractions = {name: fraction for name, fraction in (("validation", validation_fraction), ("test", test_fraction))
               if name not in source}
  features, labels = source["train"]
  result = {name: arrays for name, arrays in source.items() if name != "train"}
  for name, indices in stratified_split(labels, fractions, seed, label_names).items():
    result[name] = (features[indices], labels[indices])
  return result
