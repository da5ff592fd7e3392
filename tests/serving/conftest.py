"""A serving repository exported from models trained on real data, and the stand-ins serving it, once per session.

The builder keeps the repository under pytest's base temporary folder, so tests in other folders
(`tests/tools/serve_client_test.py`) reuse it instead of exporting again. The repository holds `digits_cnn`
versions 1 (label `stable`) and 2 (label `canary`; a copy of version 1, as a re-export of the same model gives) and
`rotten_tomatoes_transformer` version 1. The stand-ins stand in for TF Serving, whose server binary does not install
with pip (see `served_models.py`).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil

import numpy as np
import pytest
import tensorflow as tf

from export.exporter import Exporter
from export.serving.serving_repository import ServingRepository
from tests.export.conftest import trained_model_dir
from tests.serving.grpc_stand_in import GrpcStandIn
from tests.serving.rest_stand_in import RestStandIn
from tests.serving.served_models import ServedModels
from tfmodels import data as data_lib
from tfmodels.training.model_artifact import ModelArtifact

# Verified on this many test examples: enough for the gate, short for the session.
_EXAMPLES = 120
MODELS = {"cnn": "digits_cnn", "transformer": "rotten_tomatoes_transformer"}


@dataclasses.dataclass(frozen=True)
class Examples:
  """Real test examples of a model and the Keras model's classes for them.

  Attributes:
    features: raw features: uint8 pixels `(N, H, W, C)`, or texts as `str`.
    files: images only: each image as a PNG file.
    classes: the Keras model's class names for them.
    label_names: all class names.
  """

  features: np.ndarray | list[str]
  files: list[bytes]
  classes: list[str]
  label_names: tuple[str, ...]


def serving_repository_dir(root: pathlib.Path) -> str:
  """Exports the digits CNN and the Rotten Tomatoes transformer into `root/serving_export` once; returns its
  `serving/` (digits_cnn versions 1 and 2, labelled stable and canary; rotten_tomatoes_transformer version 1)."""
  export_dir = root / "serving_export"
  repository = ServingRepository(str(export_dir / "serving"))
  if os.path.exists(os.path.join(repository.model_root("digits_cnn"), "2")):
    return repository.root
  for model in MODELS:
    report = Exporter(trained_model_dir(root, model), str(export_dir), modes="float32", max_examples=_EXAMPLES,
                      log=lambda line: None).run()
    assert report["passed"], report["failures"]
  repository.update("digits_cnn", set_labels={"stable": 1}, log=lambda line: None)
  staged = os.path.join(repository.model_root("digits_cnn"), ".tmp-copy")
  shutil.copytree(os.path.join(repository.model_root("digits_cnn"), "1"), staged)
  os.rename(staged, os.path.join(repository.model_root("digits_cnn"), "2"))  # last: it marks the repository complete
  repository.update("digits_cnn", set_labels={"canary": 2}, log=lambda line: None)
  return repository.root


@pytest.fixture(scope="session")
def serving_dir(tmp_path_factory) -> str:
  return serving_repository_dir(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def served_models(serving_dir) -> ServedModels:
  return ServedModels(serving_dir)


@pytest.fixture(scope="session")
def rest_server(served_models):
  with RestStandIn(served_models) as server:
    yield server


@pytest.fixture(scope="session")
def grpc_server(served_models):
  with GrpcStandIn(served_models) as server:
    yield server


@pytest.fixture(scope="session")
def examples(tmp_path_factory) -> dict[str, Examples]:
  return model_examples(tmp_path_factory.getbasetemp())


def model_examples(root: pathlib.Path) -> dict[str, Examples]:
  """{model name: 8 real test examples with the Keras model's classes} of the models `serving_repository_dir`
  exports."""
  found = {}
  for model, name in MODELS.items():
    artifact = ModelArtifact.load(trained_model_dir(root, model))
    features, _ = data_lib.load_dataset(artifact.config.data).split_arrays("test")
    features = features[:8]
    logits = np.asarray(artifact.load_model()(np.asarray(artifact.preprocessor()(features)), training=False))
    classes = [artifact.label_names[i] for i in logits.argmax(-1)]
    if artifact.kind == "image":
      found[name] = Examples(features, [png_file(image) for image in features], classes, artifact.label_names)
    else:
      found[name] = Examples([text.decode("utf-8") for text in features], [], classes, artifact.label_names)
  return found


def png_file(pixels: np.ndarray) -> bytes:
  """A uint8 `(H, W, C)` image as a PNG file."""
  return tf.io.encode_png(pixels).numpy()
