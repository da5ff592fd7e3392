"""The reference PyTorch CNN trained on the same examples (a worker task; needs `torch`)."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.nn import functional
from torch.utils import data

from benchmark.torch_cnn import TorchCnn


class TorchTraining:
  """Trains `TorchCnn` with Adam in the usual PyTorch loop: a `DataLoader` over a `TensorDataset` of the examples
  (in memory, shuffled every epoch), `zero_grad`, forward, cross-entropy, `backward`, `step`.

  One `run()` is one epoch of `steps` batches; like the project's loop it reads the loss and the number of correct
  predictions back from every step.

  Args:
    arrays: `.npz` file with `features` (uint8 `(N, H, W, C)`) and `labels` (`(N,)`), the reference's examples.
    num_classes: number of classes.
    cnn: the `CnnConfig` settings (`conv_filters`, `kernel_size`, `dense_units`, `batch_norm`, `dropout`).
    learning_rate: Adam learning rate.
    batch_size: batch size.
    steps: training steps per run.
    warmup_runs: untimed epochs before the first timed one.
    seed: weights and shuffling seed.
  """

  def __init__(self, arrays: str, num_classes: int, cnn: dict, learning_rate: float, batch_size: int, steps: int,
               warmup_runs: int = 1, seed: int = 42):
    torch.manual_seed(seed)
    with np.load(arrays) as loaded:
      features = torch.from_numpy(np.ascontiguousarray(loaded["features"]))
      labels = torch.from_numpy(loaded["labels"].astype(np.int64))
    self.examples = steps * batch_size
    if len(labels) < self.examples:
      raise ValueError(f"{steps} steps of {batch_size} need {self.examples} examples; {arrays} holds "
                       f"{len(labels)}.")
    dataset = data.TensorDataset(features[:self.examples], labels[:self.examples])
    self.batches = data.DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                                   generator=torch.Generator().manual_seed(seed))
    self.model = TorchCnn(num_classes, tuple(features.shape[1:]), **cnn)
    self.optimizer = torch.optim.Adam(self.model.parameters(), lr=learning_rate)
    self.info = {"parameters": sum(p.numel() for p in self.model.parameters()), "torch": torch.__version__,
                 "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
                 "examples_per_run": self.examples}
    for _ in range(warmup_runs):
      self.run()

  def run(self) -> dict:
    """Trains one epoch; returns its examples per second and seconds."""
    model, optimizer = self.model, self.optimizer
    model.train()
    loss_sum = correct = 0.0
    start = time.perf_counter()
    for pixels, labels in self.batches:
      optimizer.zero_grad(set_to_none=True)
      logits = model(pixels)
      loss = functional.cross_entropy(logits, labels)
      loss.backward()
      optimizer.step()
      loss_sum += loss.item() * len(labels)
      correct += (logits.argmax(dim=1) == labels).sum().item()
    seconds = time.perf_counter() - start
    return {"examples_per_second": self.examples / seconds, "seconds": seconds, "loss": loss_sum / self.examples,
            "accuracy": correct / self.examples}
