"""Tests of benchmark/keras_fit_training.py with a tiny workload."""

import numpy as np

from benchmark.keras_fit_training import KerasFitTraining


def test_fit_runs_on_the_same_examples_and_saves_them(tmp_path):
  arrays = tmp_path / "examples.npz"
  task = KerasFitTraining(model="cnn", dataset="digits", batch_size=32, steps=3, save_arrays=str(arrays))
  result = task.run()
  assert result["examples_per_second"] > 0 and 0 < result["seconds"]
  with np.load(arrays) as saved:
    assert saved["features"].shape == (96, 8, 8, 1) and saved["features"].dtype == np.uint8
    assert saved["labels"].shape == (96,)
  assert list(task.info["cnn"]["conv_filters"]) == [32, 64] and task.info["num_classes"] == 10
  assert task.info["examples_per_run"] == 96
