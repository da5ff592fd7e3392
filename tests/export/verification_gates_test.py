"""Tests of export/verification_gates.py: which figure fails which gate, per mode and kind."""

import math

import pytest

from export.verification_gates import VerificationGates

_GOOD = {"num_examples": 20, "top1_agreement": 1.0, "max_abs_logit_error": 1e-5, "accuracy": 0.95, "reference_accuracy": 0.95,
         "size_bytes": 250}


def test_kind_defaults_fill_the_int8_gates():
  image, text = VerificationGates().for_kind("image"), VerificationGates().for_kind("text")
  assert (image.int8_min_agreement, image.int8_max_accuracy_drop) == (0.98, 0.005)
  assert (text.int8_min_agreement, text.int8_max_accuracy_drop) == (0.97, 0.010)
  assert VerificationGates(int8_min_agreement=0.5).for_kind("text").int8_min_agreement == 0.5


def test_good_figures_pass_every_mode():
  gates = VerificationGates().for_kind("image")
  for mode in ("float32", "float16", "dynamic_int8", "full_int8"):
    assert gates.check(mode, _GOOD, float32_size=1000) == []


@pytest.mark.parametrize("mode, changes, figure", [
    ("float32", {"top1_agreement": 0.999}, "top1_agreement"),
    ("float32", {"max_abs_logit_error": 2e-3}, "max_abs_logit_error"),
    ("float32", {"max_abs_logit_error": math.nan}, "max_abs_logit_error"),
    ("float16", {"top1_agreement": 0.99}, "top1_agreement"),
    ("full_int8", {"top1_agreement": 0.97}, "top1_agreement"),
    ("dynamic_int8", {"accuracy": 0.94}, "accuracy_drop"),
    ("full_int8", {"size_bytes": 301}, "size_ratio"),
    ("float32", {"batch_logit_difference": 2e-4}, "batch_logit_difference"),
    ("full_int8", {"batch_logit_difference": 0.05}, "batch_logit_difference"),
])
def test_each_gate_names_its_figure_value_and_mode(mode, changes, figure):
  failures = VerificationGates().for_kind("image").check(mode, {**_GOOD, **changes}, float32_size=1000)
  assert len(failures) == 1
  assert failures[0].startswith(f"{figure} ") and f"(gate for {mode})" in failures[0]


@pytest.mark.parametrize("mode", ["float32", "float16", "dynamic_int8", "full_int8"])
def test_an_artifact_verified_on_no_example_fails_every_gate(mode):
  # The figures an artifact gets on an empty test split: agreement 1.0 and no error, over nothing.
  figures = {**_GOOD, "num_examples": 0, "max_abs_logit_error": 0.0}
  gates = VerificationGates().for_kind("image")
  assert gates.check(mode, figures, float32_size=1000) == [
      f"num_examples 0 < 1 (gate for {mode}): the artifact was verified on no example"]
  assert VerificationGates().for_kind("corpus").check(mode, {**figures, "perplexity_ratio": 1.0}) != []


def test_float16_ignores_the_logit_error_and_text_is_looser():
  assert VerificationGates().check("float16", {**_GOOD, "max_abs_logit_error": 5.0}) == []
  figures = {**_GOOD, "top1_agreement": 0.975, "accuracy": 0.942}
  assert VerificationGates().for_kind("text").check("full_int8", figures, float32_size=1000) == []
  assert len(VerificationGates().for_kind("image").check("full_int8", figures, float32_size=1000)) == 2


def test_language_models_are_held_to_perplexity_and_their_own_size_ratio():
  gates = VerificationGates().for_kind("corpus")
  assert (gates.int8_min_agreement, gates.int8_max_perplexity_ratio, gates.int8_max_size_ratio) == (0.0, 1.05, 0.35)
  figures = {**_GOOD, "top1_agreement": 0.8, "accuracy": 0.1, "perplexity_ratio": 1.04, "size_bytes": 340}
  assert gates.check("full_int8", figures, float32_size=1000) == []
  failures = gates.check("dynamic_int8", {**figures, "perplexity_ratio": 1.06}, float32_size=1000)
  assert failures == ["perplexity_ratio 1.06 > 1.05 (gate for dynamic_int8)"]
  assert VerificationGates().for_kind("image").int8_max_size_ratio == 0.30


def test_a_mode_without_gates_is_refused():
  figures = {"num_examples": 10, "top1_agreement": 1.0, "max_abs_logit_error": 0.0, "accuracy": 1.0,
             "reference_accuracy": 1.0, "size_bytes": 100}
  with pytest.raises(ValueError, match="No gates for mode 'int4'"):
    VerificationGates().check("int4", figures)
