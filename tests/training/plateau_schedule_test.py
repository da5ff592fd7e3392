"""Tests of tfmodels/training/plateau_schedule.py and of the trainer's use of it."""

import numpy as np
import pytest
import tensorflow as tf

from tfmodels.training.experiment import config_from_flags
from tfmodels.training.plateau_schedule import PlateauSchedule, cuts_after
from tfmodels.training.trainer import Trainer


def _history(metric, *values):
  return [{"epoch": index + 1, f"val_{metric}": value} for index, value in enumerate(values)]


def test_the_rate_is_cut_each_time_validation_has_not_improved_for_patience_epochs():
  assert cuts_after([], "accuracy", 2) == 0
  assert cuts_after(_history("accuracy", 0.5, 0.6, 0.6), "accuracy", 2) == 0  # a tie is no improvement, yet
  assert cuts_after(_history("accuracy", 0.5, 0.6, 0.6, 0.55), "accuracy", 2) == 1
  # The next cut needs `patience` more epochs without improvement after the first cut.
  assert cuts_after(_history("accuracy", 0.5, 0.6, 0.6, 0.55, 0.58), "accuracy", 2) == 1
  assert cuts_after(_history("accuracy", 0.5, 0.6, 0.6, 0.55, 0.58, 0.59), "accuracy", 2) == 2
  # An improvement starts the count again; for the loss, lower is better.
  assert cuts_after(_history("accuracy", 0.5, 0.6, 0.6, 0.55, 0.7, 0.69), "accuracy", 2) == 1
  assert cuts_after(_history("loss", 1.0, 0.9, 0.95, 0.97), "loss", 2) == 1
  assert cuts_after(_history("loss", 1.0, 0.9, 0.95, 0.8), "loss", 2) == 0


def test_the_schedule_warms_up_then_holds_its_rate_times_the_scale():
  schedule = PlateauSchedule(0.01, warmup_steps=4)
  rates = [float(schedule(step)) for step in range(6)]
  np.testing.assert_allclose(rates, [0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01], rtol=1e-6)
  schedule.scale.assign(0.5)
  assert float(schedule(10)) == pytest.approx(0.005)
  assert PlateauSchedule(**schedule.get_config()).get_config() == {"learning_rate": 0.01, "warmup_steps": 4}
  assert float(PlateauSchedule(0.01)(tf.constant(0))) == pytest.approx(0.01)


def test_a_run_cuts_its_rate_and_a_resumed_run_follows_the_same_rates(tmp_path):
  # A large learning rate on digits: validation accuracy soon stops improving every epoch.
  params = ("model.cnn.batch_norm=false,trainer.lr_schedule=plateau,trainer.plateau_patience=1,"
            "trainer.plateau_factor=0.5")
  config = lambda epochs: config_from_flags(model="cnn", dataset="digits", epochs=epochs, batch_size=32,
                                            learning_rate=0.01, strategy="default", params=params)
  lines = []
  whole = Trainer(config(6), str(tmp_path / "whole"), log=lines.append).run()
  assert any(line.startswith("Learning rate 0.005: validation accuracy has not improved") for line in lines)
  Trainer(config(3), str(tmp_path / "resumed"), log=lambda line: None).run()
  resumed = Trainer(config(6), str(tmp_path / "resumed"), log=lambda line: None).run()
  assert resumed["weights_fingerprint"] == whole["weights_fingerprint"]
