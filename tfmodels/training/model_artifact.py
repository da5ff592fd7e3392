"""The trained-model directory: what the trainer writes and what evaluation and export read, both through
`ModelArtifact` (its static `write_*` methods, and `load` and the reading methods).

Layout of `model_dir`:
  config.json        the ExperimentConfig of the run
  dataset.json       data set name, kind (image|text), feature shape, label names, example counts
  vocabulary.txt     text classifiers: one token a line, index = token id (0 padding, 1 OOV)
  char_vocabulary.json  language models: the characters, index = token id (0 padding, 1 unknown)
  model.keras        the trained model (best validation weights)
  evaluation.json    test-split figures
  history.json/.csv  per-epoch figures; training_curves.png
  checkpoints/       per-epoch checkpoints for resuming; logs/ TensorBoard
  pretraining/       text classifiers with pretraining: the pretrained encoder's run (a directory of this layout
                     whose dataset.json kind is `pretrain`; `--init_from` reads it)
  without_pretraining/  `--pretrain=auto`: the same classifier trained from scratch, for the comparison

Reading a directory (`ModelArtifact.load`) imports nothing of TensorFlow, so the tools name a missing, wrong or
damaged directory at once; loading the model, its data or its text preprocessing does import it.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import errno
import io
import json
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any, Callable
import zipfile

from edge.char_vocabulary import VOCABULARY_FILE as CHAR_VOCABULARY_FILE
from edge.char_vocabulary import CharVocabulary
from tfmodels.atomic_files import write_json, write_text, writing
from tfmodels.config import DataConfig, ExperimentConfig
from tfmodels.training.artifact_error import ArtifactError

if TYPE_CHECKING:
  import keras

  from tfmodels import data as data_lib

CONFIG_FILE = "config.json"
DATASET_FILE = "dataset.json"
MODEL_FILE = "model.keras"
EVALUATION_FILE = "evaluation.json"
HISTORY_FILE = "history.json"
HISTORY_CSV = "history.csv"
CURVES_PNG = "training_curves.png"


# The way out of a damaged file in a model directory.
_DAMAGED = ("Copy the model directory again from where it came from, or train again into a new --model_dir "
            "(python tools/train.py --model_dir=...).")


@dataclasses.dataclass(frozen=True)
class ModelArtifact:
  """A trained model directory, read back.

  Attributes:
    model_dir: the directory.
    config: the configuration the model was trained with.
    kind: `image` or `text` (classifiers), `corpus` (language models).
    feature_shape: raw feature shape: `(H, W, C)` for images, `()` for text, `(sequence_length,)` for a corpus.
    label_names: class names, index = class id (none for a language model).
    dataset_name: the data set it was trained on.
  """

  model_dir: str
  config: ExperimentConfig
  kind: str
  feature_shape: tuple[int, ...]
  label_names: tuple[str, ...]
  dataset_name: str

  @classmethod
  def load(cls, model_dir: str) -> "ModelArtifact":
    """Reads a trained model directory; raises `ArtifactError` with the way out when it is not one."""
    if os.path.isfile(model_dir):
      raise ArtifactError(f"'{model_dir}' is a file, not a model directory: give the directory that holds "
                          f"{MODEL_FILE} (the --model_dir it was trained into).")
    if not os.path.isdir(model_dir):
      raise ArtifactError(f"Model directory '{model_dir}' does not exist. Train a model first: "
                          f"python tools/train.py --model_dir={model_dir} ...")
    for name in (CONFIG_FILE, DATASET_FILE, MODEL_FILE):
      if not os.path.exists(os.path.join(model_dir, name)):
        raise ArtifactError(f"'{model_dir}' holds no trained model ({name} is missing). Finish training into it "
                            f"(python tools/train.py --model_dir={model_dir} ...) or point to another directory.")
    config = ExperimentConfig.from_dict(read_json(os.path.join(model_dir, CONFIG_FILE)))
    dataset = read_json(os.path.join(model_dir, DATASET_FILE))
    if isinstance(dataset, dict) and dataset.get("kind") == "pretrain":
      raise ArtifactError(f"'{model_dir}' holds a pretrained text encoder, which predicts words, not a trained "
                          "model: give the --model_dir of the run it belongs to (its parent directory), or start a "
                          f"new classifier from it with python tools/train.py --init_from={model_dir} ...")
    _check_model_file(os.path.join(model_dir, MODEL_FILE))
    try:
      return cls(model_dir=model_dir, config=config, kind=dataset["kind"],
                 feature_shape=tuple(dataset["feature_shape"]), label_names=tuple(dataset["label_names"]),
                 dataset_name=dataset["name"])
    except (KeyError, TypeError) as error:
      raise ArtifactError(f"{os.path.join(model_dir, DATASET_FILE)} is not a data set description (no {error} "
                          f"field). {_DAMAGED}") from None

  @property
  def model_name(self) -> str:
    return self.config.model.name

  @property
  def vocabulary_path(self) -> str:
    from tfmodels.preprocessing.text_vectorizer import VOCABULARY_FILE  # pylint: disable=g-import-not-at-top
    return os.path.join(self.model_dir, VOCABULARY_FILE)

  def vocabulary(self) -> list[str]:
    from tfmodels.preprocessing.text_vectorizer import read_vocabulary  # pylint: disable=g-import-not-at-top
    return read_vocabulary(self.vocabulary_path)

  def char_vocabulary(self) -> CharVocabulary:
    """The character vocabulary of a language model."""
    return CharVocabulary.load(os.path.join(self.model_dir, CHAR_VOCABULARY_FILE))

  def data_config(self, dataset_name: str = "") -> DataConfig:
    """The data settings of the training run, reading `dataset_name` instead when given (the training data moved
    elsewhere, or other data with the same labels).

    Raises:
      ArtifactError: without `dataset_name`, when the file or folder the model was trained on is gone.
    """
    if dataset_name:
      return dataclasses.replace(self.config.data, dataset=dataset_name)
    from tfmodels import data as data_lib  # pylint: disable=g-import-not-at-top
    trained_on = self.config.data.dataset
    path = data_lib.source_path(trained_on)
    if path and not os.path.exists(path):
      prefix = trained_on.split(":", 1)[0] + ":"
      same = " (the same labels)" if self.label_names else ""
      raise ArtifactError(f"The data this model was trained on, {trained_on}, is gone: {path} does not exist. If it "
                          f"was moved, give its new place with --dataset={prefix}NEW_PATH{same}, or put it back.")
    return self.config.data

  def load_dataset(self, dataset_name: str = "") -> data_lib.LoadedDataset:
    """The labelled data set of `data_config(dataset_name)`.

    Raises:
      DataError: its labels are not those the model was trained on (or the data cannot be read).
    """
    from tfmodels import data as data_lib  # pylint: disable=g-import-not-at-top
    dataset = data_lib.load_dataset(self.data_config(dataset_name))
    if tuple(dataset.label_names) != tuple(self.label_names):
      raise data_lib.DataError(
          f"Data set '{dataset.name}' has labels {list(dataset.label_names)}, the model was trained on "
          f"{list(self.label_names)}. Give data with the same label names.")
    return dataset

  # Writing: the trainer's. Each file is written whole or not at all (`tfmodels.atomic_files`).

  @staticmethod
  def write_description(model_dir: str, config: ExperimentConfig, dataset: dict) -> None:
    """`config.json` and `dataset.json`: what the run is, written before its first epoch."""
    write_json(os.path.join(model_dir, CONFIG_FILE), config.to_dict())
    write_json(os.path.join(model_dir, DATASET_FILE), dataset)

  @staticmethod
  def write_history(model_dir: str, history: list[dict]) -> None:
    """`history.json`: one entry of figures per completed epoch."""
    write_json(os.path.join(model_dir, HISTORY_FILE), history)

  @staticmethod
  def read_history(model_dir: str) -> list[dict]:
    """The epochs `write_history` recorded; none when it has not written yet."""
    path = os.path.join(model_dir, HISTORY_FILE)
    return read_json(path) if os.path.exists(path) else []

  @staticmethod
  def save_weights(model: "keras.Model", path: str) -> None:
    """A Keras weights file (`.weights.h5`), refused before anything is written when the disk lacks room for it."""
    _write_atomically(model.save_weights, path, ".weights.h5", _weight_bytes(model))

  @staticmethod
  def write_trained(model_dir: str, model: "keras.Model", evaluation: dict, history: list[dict],
                    columns: list[str], title: str) -> None:
    """What a finished run leaves: `model.keras`, `evaluation.json`, `history.csv` (`columns`) and
    `training_curves.png` (titled `title`)."""
    from tfmodels.training.history_plot import plot_history  # pylint: disable=g-import-not-at-top  (matplotlib)
    _write_atomically(model.save, os.path.join(model_dir, MODEL_FILE), ".keras", _weight_bytes(model))
    write_json(os.path.join(model_dir, EVALUATION_FILE), evaluation)
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns)
    writer.writeheader()
    writer.writerows(history)
    write_text(os.path.join(model_dir, HISTORY_CSV), table.getvalue())
    if history:
      plot_history(history, os.path.join(model_dir, CURVES_PNG), title=title)

  def load_model(self) -> keras.Model:
    import keras  # pylint: disable=g-import-not-at-top,redefined-outer-name
    import tfmodels.models  # pylint: disable=g-import-not-at-top,unused-import  (registers the classes to load)
    return keras.saving.load_model(os.path.join(self.model_dir, MODEL_FILE))

  def preprocessor(self):
    """Returns a function from raw features (uint8 pixels or strings) to model inputs."""
    if self.kind == "text":
      # pylint: disable-next=g-import-not-at-top
      from tfmodels.preprocessing.text_vectorizer import load_vectorizer, token_ids
      vectorizer = load_vectorizer(self.vocabulary_path, self.config.data.sequence_length)
      return lambda texts: token_ids(vectorizer, texts)
    return lambda pixels: pixels


def read_json(path: str) -> Any:
  """Reads a JSON file of a model directory; raises `ArtifactError` when it is damaged (not UTF-8 JSON)."""
  try:
    with open(path, encoding="utf-8") as f:
      return json.load(f)
  except (json.JSONDecodeError, UnicodeDecodeError) as error:
    raise ArtifactError(f"{path} is not valid JSON ({error}). {_DAMAGED}") from None


def _check_model_file(path: str) -> None:
  """Refuses a `.keras` file that is not a complete zip archive (Keras reports such a file as 'File not found')."""
  try:
    with zipfile.ZipFile(path) as archive:
      damaged = archive.testzip()  # reads every member and checks its CRC
      missing = {"config.json", "model.weights.h5"} - set(archive.namelist())
  except (zipfile.BadZipFile, OSError, EOFError) as error:
    raise ArtifactError(f"{path} is not a readable Keras model ({error}): it is truncated or damaged. "
                        f"{_DAMAGED}") from None
  if damaged or missing:
    raise ArtifactError(f"{path} is damaged ({f'{damaged} fails its checksum' if damaged else 'no ' + min(missing)}). "
                        f"{_DAMAGED}")


def is_disk_full(error: BaseException) -> bool:
  """Whether `error` (Python's, h5py's or TensorFlow's) says a write found no space left on its device."""
  return getattr(error, "errno", None) == errno.ENOSPC or "No space left on device" in str(error)


def _weight_bytes(model: "keras.Model") -> int:
  import numpy as np  # pylint: disable=g-import-not-at-top  (reading a directory needs none of it)
  return sum(int(np.prod(variable.shape)) * np.dtype(variable.dtype).itemsize for variable in model.weights)


# Room kept on the disk beyond a file's expected size (HDF5 and zip headers, the config inside model.keras).
_WRITE_MARGIN_BYTES = 256 << 10


def _write_atomically(save: Callable[[str], None], path: str, suffix: str, expected_bytes: int) -> None:
  """`save(temporary)` into a temporary file ending in `suffix` (Keras picks the format by it), then published onto
  `path` (`tfmodels.atomic_files.writing`); a failed save leaves `path` as it was and no temporary file.

  A disk without room for `expected_bytes` is refused before anything is written: h5py, writing onto a full disk,
  reports errors while its files are collected and can crash the process when it exits.
  """
  directory = os.path.dirname(os.path.abspath(path))
  free = shutil.disk_usage(directory).free
  if free < expected_bytes + _WRITE_MARGIN_BYTES:
    raise OSError(errno.ENOSPC, f"{free:,} bytes free, about {expected_bytes + _WRITE_MARGIN_BYTES:,} needed", path)
  with writing(path, suffix) as temporary:
    failure = None
    with _quiet_file_closing():
      try:
        save(temporary)
      except OSError as error:
        # A new error without the traceback, whose frames hold the half-written file objects: they are collected
        # when this block ends.
        failure = OSError(error.errno, error.strerror or str(error), temporary)
    if failure is not None:
      raise failure


@contextlib.contextmanager
def _quiet_file_closing():
  """h5py reports a file it fails to close (a full disk) as an 'Exception ignored' traceback when the file object is
  collected; the write error itself is raised and reported, so those reports are dropped while saving."""
  hook = sys.unraisablehook
  sys.unraisablehook = lambda unraisable: None
  try:
    yield
  finally:
    import gc  # pylint: disable=g-import-not-at-top
    gc.collect()  # collects the failed file objects now, while their reports are dropped
    sys.unraisablehook = hook
