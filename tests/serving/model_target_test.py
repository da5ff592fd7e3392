"""Tests of tfmodels/serving/model_target.py."""

import pytest

from tfmodels.serving.model_target import ModelTarget
from tfmodels.serving.serving_error import ServingError


def test_rest_paths_name_the_version_or_label():
  assert ModelTarget("digits_cnn").rest_path() == "/v1/models/digits_cnn"
  assert ModelTarget("digits_cnn", version=3).rest_path() == "/v1/models/digits_cnn/versions/3"
  assert ModelTarget("digits_cnn", label="stable").rest_path() == "/v1/models/digits_cnn/labels/stable"
  assert ModelTarget("my model").rest_path() == "/v1/models/my%20model"
  assert str(ModelTarget("digits_cnn", label="canary")) == "model digits_cnn label canary"


@pytest.mark.parametrize("kwargs, message", [
    ({"name": ""}, "No model name"), ({"name": "m", "version": 1, "label": "stable"}, "Both version 1 and label"),
    ({"name": "m", "version": 0}, "integers >= 1"), ({"name": "m", "label": "can-ary"}, "letters, digits")])
def test_impossible_targets_are_refused(kwargs, message):
  with pytest.raises(ServingError, match=message):
    ModelTarget(**kwargs)
