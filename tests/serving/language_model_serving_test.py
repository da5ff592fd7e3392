"""A language model's serving SavedModel behind the REST stand-in (which stands in for TF Serving, see conftest):
both signatures in row and columnar format, as a client sends them."""

import os

import numpy as np
import pytest

from edge.char_vocabulary import PADDING, UNKNOWN
from tests.serving.rest_stand_in import RestStandIn
from tests.serving.served_models import ServedModels
from tests.testing.language_models import (PROMPTS, SEQUENCE_LENGTH, exported_language_model,
                                           trained_language_model)
from tfmodels.generation import KerasNextToken
from tfmodels.serving.model_target import ModelTarget
from tfmodels.serving.rest_client import RestClient
from tfmodels.training.model_artifact import ModelArtifact


@pytest.fixture(scope="module")
def served(tmp_path_factory):
  """(REST stand-in serving the tiny transformer_lm's repository, the loaded repository, the Keras artifact)."""
  root = tmp_path_factory.getbasetemp()
  export_dir, _ = exported_language_model(root, "transformer_lm")
  models = ServedModels(os.path.join(export_dir, "serving"))
  with RestStandIn(models) as server:
    yield server, models, ModelArtifact.load(trained_language_model(root, "transformer_lm"))


def _client(server) -> RestClient:
  return RestClient(server.url, ModelTarget("pride_transformer_lm"))


@pytest.mark.slow
@pytest.mark.parametrize("request_format", ["row", "columnar"])
def test_generate_gives_keras_greedy_text(served, request_format):
  server, models, artifact = served
  assert models.warmup_requests_run > 0  # the export's warmup requests replay without error
  count = len(PROMPTS)
  inputs = {"prompt": list(PROMPTS), "max_tokens": [40] * count, "temperature": [0.0] * count, "top_k": [0] * count,
            "top_p": [1.0] * count, "seed": [0] * count}
  outputs = _client(server).predict(inputs, signature="generate", request_format=request_format)
  generator = KerasNextToken.generator(artifact)
  assert list(outputs["text"]) == [generator.generate(prompt, 40).text for prompt in PROMPTS]
  assert outputs["token_ids"].shape == (count, 40) and outputs["unknown_characters"].tolist() == [0] * count


def test_next_token_gives_the_keras_choice(served):
  server, _, artifact = served
  vocabulary = artifact.char_vocabulary()
  windows = np.zeros((2, SEQUENCE_LENGTH), np.int32)
  for row, prompt in zip(windows, PROMPTS[:2]):
    row[:len(prompt)] = vocabulary.encode(prompt)
  outputs = _client(server).predict({"token_ids": windows})
  keras_next_token = KerasNextToken(artifact.load_model())
  for window, prompt, token in zip(windows, PROMPTS, outputs["next_token"]):
    logits = keras_next_token(window, len(prompt))
    logits[[PADDING, UNKNOWN]] = -np.inf
    assert token == vocabulary.tokens[int(np.argmax(logits))]
