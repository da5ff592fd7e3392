"""Tests of tfmodels/training/text_baseline.py."""

import pytest

from tfmodels.config import DataConfig
from tfmodels.data import DataError
from tfmodels.training.text_baseline import tfidf_logistic_regression_accuracy


def test_tfidf_reference_on_rotten_tomatoes():
  result = tfidf_logistic_regression_accuracy(DataConfig(dataset="rotten_tomatoes"))
  assert result["num_examples"] == 2562
  assert 0.74 < result["accuracy"] < 0.82  # Published figures for this corpus lie around 77-78 %.


def test_image_data_is_refused():
  with pytest.raises(DataError, match="needs text"):
    tfidf_logistic_regression_accuracy(DataConfig(dataset="digits"))
