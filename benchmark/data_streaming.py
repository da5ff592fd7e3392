"""Figures of the streaming data layer: memory that does not grow with the data, streaming speed, preparation speed.

- `data_peak_rss_ratio`: an image folder of N and one of 8N real images (Fashion-MNIST, upscaled to 96x96 and tinted
  into RGB with one of ten tints chosen by the image's index, not its class; saved as JPEG) are prepared, then one epoch of the CNN is trained on each by `tools/train.py`
  in a process of its own, with default flags; the figure is the peak RSS of the 8N training process over that of
  the N one (`os.wait4`'s `ru_maxrss` of each process alone).
- `streaming_pipeline_efficiency`: the CNN's examples per second on batches streamed from the prepared shards of
  the N folder (nothing held in memory, `data.cache_budget_mb=0`: every batch is read, shuffled and decoded by
  tf.data) over the same batches held as tensors, in alternating rounds of the trainer's own epoch loop. Both train
  the model of the image recipe without its augmentation, which is no part of the data layer.
- `prepare_images_per_s`: images per second of `tools/prepare_data.py` on the 8N folder (header scan, decode,
  resize, PNG encoding, record writing), one run; no goal.
"""

from __future__ import annotations

import os
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np
from PIL import Image

from benchmark.alternation import run_alternating
from benchmark.figure import Figure
from benchmark.sample_summary import SampleSummary

ROOT = pathlib.Path(__file__).resolve().parent.parent
NO_AUGMENTATION = "data.random_translation=0,data.random_zoom=0,data.random_rotation=0,data.random_contrast=0"
IMAGE_SIDE = 96
_TINTS = np.array([[255, 80, 80], [80, 255, 80], [80, 80, 255], [255, 255, 80], [255, 80, 255], [80, 255, 255],
                   [255, 160, 80], [160, 80, 255], [200, 200, 200], [120, 255, 160]], np.float32) / 255


def write_image_folder(root: pathlib.Path, count: int, data_dir: str = "") -> pathlib.Path:
  """Writes `count` real images (the first of Fashion-MNIST's 70,000) as `root/<class>/<n>.jpg`, 96x96 RGB."""
  from tfmodels.config import DataConfig  # pylint: disable=g-import-not-at-top
  from tfmodels.data import load_dataset  # pylint: disable=g-import-not-at-top
  if (root / ".complete").exists():
    return root
  source = load_dataset(DataConfig(dataset="fashion_mnist", data_dir=data_dir))
  written = 0
  for split in ("train", "validation", "test"):
    for pixels, label in source.read(split).as_numpy_iterator():
      if written == count:
        break
      grey = Image.fromarray(pixels[..., 0]).resize((IMAGE_SIDE, IMAGE_SIDE), Image.Resampling.BILINEAR)
      # The tint follows the image, not its class, so colour tells nothing about the label.
      rgb = (np.asarray(grey, np.float32)[..., None] * _TINTS[written % len(_TINTS)]).astype(np.uint8)
      folder = root / source.label_names[label].replace("/", "-")
      folder.mkdir(parents=True, exist_ok=True)
      Image.fromarray(rgb, "RGB").save(folder / f"{written}.jpg", quality=90)
      written += 1
  if written < count:
    raise ValueError(f"Fashion-MNIST has {written} images, fewer than the {count} asked for.")
  (root / ".complete").touch()
  return root


def run_measured(command: list[str], log_path: pathlib.Path) -> tuple[float, int]:
  """Runs `command`; returns its wall seconds and the peak RSS (bytes) of that process alone."""
  start = time.perf_counter()
  with open(log_path, "w") as log:
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
  seconds = time.perf_counter() - start
  code = os.waitstatus_to_exitcode(status)
  if code != 0:
    raise RuntimeError(f"`{' '.join(command)}` exited {code}; see {log_path}.")
  # Linux reports ru_maxrss in KiB.
  return seconds, int(usage.ru_maxrss) * (1024 if sys.platform.startswith("linux") else 1)


def measure(work_dir: pathlib.Path, images: int, rounds: int, steps: int, data_dir: str,
            log=print) -> tuple[dict[str, Figure], dict]:
  """Measures the three figures (see the module docstring) with N = `images`; returns them and their details."""
  work_dir.mkdir(parents=True, exist_ok=True)
  python = sys.executable
  folders = {size: write_image_folder(work_dir / f"images_{size}", size, data_dir) for size in (images, 8 * images)}
  cache = str(work_dir / "cache")
  details: dict = {"images": {"small": images, "large": 8 * images, "side": IMAGE_SIDE, "format": "JPEG, RGB"}}

  log(f"Preparing the {8 * images}-image folder")
  seconds, rss = run_measured([python, "tools/prepare_data.py", f"--dataset=images:{folders[8 * images]}",
                               f"--data_dir={cache}"], work_dir / "prepare_large.log")
  details["prepare_large"] = {"seconds": round(seconds, 2), "peak_rss_bytes": rss}
  run_measured([python, "tools/prepare_data.py", f"--dataset=images:{folders[images]}", f"--data_dir={cache}"],
               work_dir / "prepare_small.log")

  peaks = {}
  for name, size in (("small", images), ("large", 8 * images)):
    log(f"One CNN epoch on {size} images (default flags)")
    seconds, rss = run_measured(
        [python, "tools/train.py", "--model=cnn", f"--dataset=images:{folders[size]}", f"--data_dir={cache}",
         "--epochs=1", f"--model_dir={work_dir / ('run_' + name)}"], work_dir / f"train_{name}.log")
    peaks[name] = rss
    details[f"train_{name}"] = {"seconds": round(seconds, 2), "peak_rss_bytes": rss}
  figures = {
      "data_peak_rss_ratio": Figure.measured(
          "data_peak_rss_ratio", SampleSummary.of([peaks["large"] / peaks["small"]]),
          f"peak RSS of `tools/train.py --model=cnn --epochs=1` on {8 * images} over {images} prepared "
          f"{IMAGE_SIDE}x{IMAGE_SIDE} RGB images, default flags, one process each",
          {"peak_rss_mib": {name: round(value / 2**20, 1) for name, value in peaks.items()}}),
      "prepare_images_per_s": Figure.measured(
          "prepare_images_per_s", SampleSummary.of([8 * images / details["prepare_large"]["seconds"]]),
          f"`tools/prepare_data.py` on {8 * images} JPEGs, one run including TensorFlow's start"),
  }

  log(f"Streaming vs tensors: {rounds} alternating rounds of {steps} steps")
  from benchmark.project_training import ProjectTraining  # pylint: disable=g-import-not-at-top
  dataset = f"images:{folders[images]}"
  common = {"model": "cnn", "dataset": dataset, "batch_size": 64, "steps": steps}
  # The data layer alone: the recipe's augmentation would run in every streamed epoch but once for the batches held
  # as tensors.
  settings = f"data.data_dir={cache},{NO_AUGMENTATION}"
  streamed = ProjectTraining(**common, inputs="prepared", params=f"{settings},data.cache_budget_mb=0")
  cached = ProjectTraining(**common, inputs="cached", params=settings)
  try:
    runs = run_alternating({"streamed": lambda: streamed.run()["examples_per_second"],
                            "tensors": lambda: cached.run()["examples_per_second"]}, rounds)
  finally:
    streamed.close()
    cached.close()
  details["streaming"] = {"batch_size": 64, "steps_per_run": steps, "runs": runs}
  figures["streaming_pipeline_efficiency"] = Figure.measured(
      "streaming_pipeline_efficiency", SampleSummary.of_ratios(runs["streamed"], runs["tensors"]),
      f"the CNN's examples/s (the images recipe's model, augmentation off) on {images} prepared images streamed "
      f"from their shards (shuffle, batch, decode in tf.data; data.cache_budget_mb=0) over the same batches held as tensors; median of {rounds} alternating "
      f"pairs of {steps}-step epochs")
  return figures, details
