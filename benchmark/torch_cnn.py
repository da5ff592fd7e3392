"""The reference PyTorch CNN: the project's `CnnClassifier`, layer for layer, written for PyTorch.

This is the seed's PyTorch CNN with its mistakes fixed and its settings taken from `CnnConfig`, so that the two
frameworks train the same network: per block a `kernel_size` 'same' convolution (no bias when BatchNorm follows,
as in Keras), BatchNorm (Keras' epsilon 1e-3 and momentum 0.9, which PyTorch writes as 0.1), ReLU and a 2x2
max-pool that rounds odd sizes up (Keras' 'same' pooling); then flatten, a hidden ReLU layer, dropout and the logits.
Needs `torch` (requirements-benchmark.txt); nothing else in the project imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn


class TorchCnn(nn.Module):
  """Classifies raw uint8 images `(batch, height, width, channels)`; outputs logits.

  Args:
    num_classes: number of output logits.
    image_shape: `(height, width, channels)`.
    conv_filters: filters of each conv block.
    kernel_size: side of the square convolution kernels.
    dense_units: width of the hidden dense layer (0 = none).
    batch_norm: BatchNorm after each convolution.
    dropout: dropout rate before the output layer.
  """

  def __init__(self, num_classes: int, image_shape: Sequence[int], conv_filters: Sequence[int] = (32, 64),
               kernel_size: int = 3, dense_units: int = 128, batch_norm: bool = False, dropout: float = 0.0):
    super().__init__()
    height, width, channels = image_shape
    layers: list[nn.Module] = []
    for filters in conv_filters:
      layers.append(nn.Conv2d(channels, filters, kernel_size, padding="same", bias=not batch_norm))
      if batch_norm:
        layers.append(nn.BatchNorm2d(filters, eps=1e-3, momentum=0.1))
      layers += [nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
      channels = filters
      height, width = math.ceil(height / 2), math.ceil(width / 2)
    self.features = nn.Sequential(*layers)
    head: list[nn.Module] = [nn.Flatten()]
    width_in = channels * height * width
    if dense_units:
      head += [nn.Linear(width_in, dense_units), nn.ReLU()]
      width_in = dense_units
    head += [nn.Dropout(dropout), nn.Linear(width_in, num_classes)]
    self.head = nn.Sequential(*head)

  def forward(self, pixels: torch.Tensor) -> torch.Tensor:
    x = pixels.permute(0, 3, 1, 2).float() / 255.0  # (batch, C, H, W) in [0, 1]
    x = self.features(x)  # (batch, conv_filters[-1], ceil(H / 2**n), ceil(W / 2**n))
    return self.head(x)  # (batch, num_classes)
