"""Tests of tfmodels/config.py."""

import json

import pytest

from tfmodels.config import ConfigError, ExperimentConfig, parse_assignments


def test_override_parses_by_field_type():
  config = ExperimentConfig().override(parse_assignments(
      "trainer.epochs=3,model.cnn.batch_norm=true,data.image_size=(32,32),model.cnn.conv_filters=[16,32,64],"
      "trainer.learning_rate=0.01,model.name=lstm"))
  assert config.trainer.epochs == 3
  assert config.model.cnn.batch_norm is True
  assert config.data.image_size == (32, 32)
  assert config.model.cnn.conv_filters == (16, 32, 64)
  assert config.trainer.learning_rate == 0.01
  assert config.model.architecture == config.model.lstm


def test_json_round_trip():
  config = ExperimentConfig().override({"model.transformer.num_layers": "3", "data.image_size": "8,8"})
  assert ExperimentConfig.from_dict(json.loads(config.to_json())) == config


@pytest.mark.parametrize("assignment, fragment", [
    ("trainer.epoch=3", "Unknown config field 'trainer.epoch'"),
    ("trainer.epochs=three", "expected a value of type int"),
    ("trainer=3", "is a group of settings"),
    ("model.cnn.batch_norm=maybe", "expected a value of type bool"),
])
def test_bad_overrides_name_the_field(assignment, fragment):
  with pytest.raises(ConfigError, match=fragment):
    ExperimentConfig().override(parse_assignments(assignment))


def test_assignment_without_equals_is_rejected():
  with pytest.raises(ConfigError, match="has no '='"):
    parse_assignments("trainer.epochs")


@pytest.mark.parametrize("assignment, fragment", [
    ("model.name=resnet", "model.name"),
    ("runtime.strategy=tpu", "runtime.strategy"),
    ("trainer.batch_size=0", "trainer.batch_size"),
    ("model.transformer.num_heads=3", "a divisor of model.transformer.embedding_dim"),
    ("data.test_fraction=0.95", "data.test_fraction"),
    ("model.lstm.dropout=1.5", "model.lstm.dropout"),
    ("data.image_size=(0,0)", r"data.image_size=\(0, 0\): expected empty, or two integers >= 1"),
    ("trainer.lr_schedule=step", "constant, cosine or plateau"),
    ("trainer.plateau_factor=1", "trainer.plateau_factor"),
    ("trainer.plateau_patience=0", "trainer.plateau_patience"),
])
def test_validate_names_the_invalid_field(assignment, fragment):
  with pytest.raises(ConfigError, match=fragment):
    ExperimentConfig().override(parse_assignments(assignment)).validate()


def test_cosine_schedule_warmup_must_leave_epochs():
  config = ExperimentConfig().override({"trainer.lr_schedule": "cosine", "trainer.epochs": "3"})
  assert config.validate().trainer.lr_schedule == "cosine"
  with pytest.raises(ConfigError, match="trainer.warmup_epochs"):
    config.override({"trainer.warmup_epochs": "3"}).validate()
  with pytest.raises(ConfigError, match="trainer.lr_schedule"):
    config.override({"trainer.lr_schedule": "step"}).validate()
