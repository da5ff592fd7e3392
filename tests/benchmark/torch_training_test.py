"""Tests of benchmark/torch_cnn.py and benchmark/torch_training.py (skipped without PyTorch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmark.torch_cnn import TorchCnn  # pylint: disable=g-import-not-at-top,wrong-import-position
from benchmark.torch_training import TorchTraining  # pylint: disable=g-import-not-at-top,wrong-import-position
from tfmodels.models import CnnClassifier  # pylint: disable=g-import-not-at-top,wrong-import-position


@pytest.mark.parametrize("image_shape,settings", [
    ((28, 28, 1), {}),  # the seed CNN on Fashion-MNIST
    ((8, 8, 1), {"batch_norm": True, "dropout": 0.3}),  # the digits preset
    ((7, 9, 3), {"conv_filters": (8, 16, 32), "kernel_size": 5, "dense_units": 0}),  # odd sizes, no hidden layer
])
def test_the_reference_has_the_project_cnns_layers(image_shape, settings):
  keras_model = CnnClassifier(num_classes=10, image_shape=image_shape, **settings)
  torch_model = TorchCnn(num_classes=10, image_shape=image_shape, **settings)
  keras_weights = sorted(int(np.prod(weight.shape)) for weight in keras_model.trainable_weights)
  torch_weights = sorted(parameter.numel() for parameter in torch_model.parameters())
  assert torch_weights == keras_weights
  pixels = torch.randint(0, 256, (4, *image_shape), dtype=torch.uint8)
  assert torch_model(pixels).shape == (4, 10)


def test_training_runs_an_epoch_of_the_given_steps(tmp_path):
  rng = np.random.default_rng(0)
  arrays = tmp_path / "examples.npz"
  np.savez(arrays, features=rng.integers(0, 256, (64, 8, 8, 1), dtype=np.uint8), labels=rng.integers(0, 10, 64))
  task = TorchTraining(arrays=str(arrays), num_classes=10, cnn={"conv_filters": [32, 64]}, learning_rate=1e-3,
                       batch_size=16, steps=4)
  result = task.run()
  assert result["examples_per_second"] > 0 and np.isfinite(result["loss"])
  assert task.info["examples_per_run"] == 64
  with pytest.raises(ValueError, match="examples"):
    TorchTraining(arrays=str(arrays), num_classes=10, cnn={}, learning_rate=1e-3, batch_size=16, steps=5)
