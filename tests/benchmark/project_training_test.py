"""Tests of benchmark/project_training.py with tiny workloads (a few steps on real data)."""

import math

import pytest

from benchmark.project_training import ProjectTraining

_TINY_TEXT = ("data.sequence_length=16,data.max_tokens=2000,model.transformer.embedding_dim=16,"
              "model.transformer.ff_dim=32")


@pytest.mark.parametrize("inputs", ["prepared", "cached"])
def test_runs_time_the_trainers_epoch_loop(inputs):
  task = ProjectTraining(model="cnn", dataset="digits", batch_size=32, steps=3, inputs=inputs)
  try:
    assert task.info["examples_per_run"] == 96 and task.info["inputs"] == inputs
    first, second = task.run(), task.run()
    for result in (first, second):
      assert result["examples_per_second"] > 0 and result["seconds"] > 0 and math.isfinite(result["loss"])
    assert task.epoch == 3  # one warm-up run, then the two timed ones
    if inputs == "cached":
      assert len(task.cached) == 3
  finally:
    task.close()


def test_pipeline_is_built_afresh_for_every_run():
  task = ProjectTraining(model="transformer", dataset="rotten_tomatoes", batch_size=64, steps=2, params=_TINY_TEXT,
                         inputs="pipeline", warmup_runs=0)
  try:
    assert task.run()["examples_per_second"] > 0
    assert task.first_batch_seconds() > 0
  finally:
    task.close()


def test_bad_settings_are_refused():
  with pytest.raises(ValueError, match="Unknown inputs"):
    ProjectTraining(model="cnn", dataset="digits", batch_size=32, steps=1, inputs="streamed")
  with pytest.raises(ValueError, match="training examples"):
    ProjectTraining(model="cnn", dataset="digits", batch_size=512, steps=10)
