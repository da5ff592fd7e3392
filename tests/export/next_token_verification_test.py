"""Tests of export/next_token_verification.py: how test windows are cut, and the figures of a language model."""

import math

import numpy as np

from export import next_token_verification as nv


def test_lengths_cycle_through_the_whole_window():
  assert nv.scoring_lengths(7, 3).tolist() == [1, 2, 3, 1, 2, 3, 1]


def test_windows_are_cut_to_their_length_and_predict_the_next_token():
  inputs = np.array([[5, 6, 7, 8], [9, 10, 11, 12]], np.int32)
  targets = np.array([[6, 7, 8, 13], [10, 11, 12, 14]], np.int32)
  windows, next_tokens = nv.cut_windows(inputs, targets, np.array([2, 4]))
  assert windows.tolist() == [[5, 6, 0, 0], [9, 10, 11, 12]] and windows.dtype == np.int32
  assert next_tokens.tolist() == [7, 14]


def test_evenly_spaced_keeps_the_ends():
  assert nv.evenly_spaced(10, None).tolist() == list(range(10))
  assert nv.evenly_spaced(10, 3).tolist() == [0, 4, 9]
  assert nv.evenly_spaced(3, 10).tolist() == [0, 1, 2]


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
  assert math.isclose(nv.perplexity(np.zeros((5, 8)), np.arange(5)), 8.0)
  logits = np.log(np.array([[0.5, 0.25, 0.25]]))
  assert math.isclose(nv.perplexity(logits, np.array([0])), 2.0)


def test_figures_compare_with_keras():
  reference = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]])
  logits = reference + np.array([[0.0, 1.5, 0.0], [0.0, 0.0, 0.1]])
  figures = nv.next_token_figures(logits, reference, np.array([0, 1]))
  assert figures["top1_agreement"] == 0.5 and figures["accuracy"] == 0.5 and figures["reference_accuracy"] == 1.0
  assert math.isclose(figures["max_abs_logit_error"], 1.5)
  assert figures["perplexity_ratio"] > 1 and math.isclose(
      figures["perplexity_ratio"], figures["perplexity"] / figures["reference_perplexity"])
