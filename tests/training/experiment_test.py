"""Tests of how flags, presets and `--params` make a configuration (`experiment.config_from_flags`)."""

import logging

import pytest

from tfmodels.config import ConfigError
from tfmodels.training.experiment import config_from_flags


def test_a_preset_warmup_as_long_as_the_run_is_shortened_and_said(caplog):
  with caplog.at_level(logging.WARNING):
    config = config_from_flags(model="transformer_lm", dataset="novels", epochs=1)
  assert config.trainer.epochs == 1 and config.trainer.warmup_epochs == 0
  assert "warm-up of 1 epoch(s) is as long as the run of 1 epoch(s): shortened to 0" in caplog.text
  config = config_from_flags(model="transformer_lm", dataset="novels", params="trainer.epochs=3")
  assert config.trainer.warmup_epochs == 1  # the preset's warm-up fits a longer run


def test_a_warmup_the_user_asks_for_is_checked_not_changed():
  with pytest.raises(ConfigError, match="trainer.warmup_epochs"):
    config_from_flags(model="transformer_lm", dataset="novels", epochs=2, params="trainer.warmup_epochs=2")
