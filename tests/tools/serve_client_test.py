"""Tests of tools/serve_client.py, run as a user runs it, against the REST and gRPC stand-ins (which stand in for
TF Serving in tests: see tests/serving/served_models.py)."""

import json
import pathlib
import socket
import subprocess
import sys

import pytest

from tests.serving.conftest import model_examples, serving_repository_dir
from tests.serving.grpc_stand_in import GrpcStandIn
from tests.serving.rest_stand_in import RestStandIn
from tests.serving.served_models import ServedModels
from tests.testing.without_tensorflow import run_without_tensorflow

_REPO = pathlib.Path(__file__).resolve().parents[2]


def _run(*arguments: str, without_tensorflow: bool = False) -> subprocess.CompletedProcess:
  if without_tensorflow:
    return run_without_tensorflow("tools/serve_client.py", *arguments, timeout=300)
  return subprocess.run([sys.executable, "tools/serve_client.py", *arguments], cwd=_REPO, capture_output=True,
                        text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
  models = ServedModels(serving_repository_dir(tmp_path_factory.getbasetemp()))
  with RestStandIn(models) as rest, GrpcStandIn(models) as grpc:
    yield rest, grpc


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
  return model_examples(tmp_path_factory.getbasetemp())


def test_images_over_rest_print_their_classes_without_tensorflow(servers, examples, tmp_path):
  rest, _ = servers
  digits = examples["digits_cnn"]
  paths = []
  for i, content in enumerate(digits.files[:3]):
    paths.append(tmp_path / f"digit{i}.png")
    paths[-1].write_bytes(content)
  result = _run(f"--server={rest.url}", "--model=digits_cnn", "--label=stable", *[f"--image={p}" for p in paths],
                without_tensorflow=True)
  assert result.returncode == 0, result.stderr
  lines = result.stdout.strip().splitlines()
  assert [line.rsplit(" ", 2)[:2] for line in lines] == [[f"{p}:", c] for p, c in zip(paths, digits.classes)]
  assert all(0 < float(line.rsplit(" ", 1)[1]) <= 1 for line in lines)


def test_texts_in_columnar_format_as_json(servers, examples):
  rest, _ = servers
  reviews = examples["rotten_tomatoes_transformer"]
  result = _run(f"--server={rest.url}", "--model=rotten_tomatoes_transformer", "--format=columnar", "--json",
                *[f"--text={text}" for text in reviews.features[:2]], without_tensorflow=True)
  assert result.returncode == 0, result.stderr
  answer = json.loads(result.stdout)
  assert [entry["input"] for entry in answer] == reviews.features[:2]
  assert [entry["classes"] for entry in answer] == reviews.classes[:2] and len(answer[0]["probabilities"]) == 2


def test_status_over_rest(servers):
  rest, _ = servers
  result = _run(f"--server={rest.url}", "--model=digits_cnn", "--status", without_tensorflow=True)
  assert result.returncode == 0 and result.stdout.splitlines() == ["digits_cnn version 1: AVAILABLE",
                                                                   "digits_cnn version 2: AVAILABLE"]


def test_grpc_predictions_and_metadata(servers, examples):
  _, grpc = servers
  reviews = examples["rotten_tomatoes_transformer"]
  result = _run(f"--grpc={grpc.address}", "--model=rotten_tomatoes_transformer", "--version=1",
                f"--text={reviews.features[0]}")
  assert result.returncode == 0, result.stderr
  assert result.stdout.startswith(f"{reviews.features[0]}: {reviews.classes[0]} ")
  result = _run(f"--grpc={grpc.address}", "--model=digits_cnn", "--label=canary", "--metadata")
  assert result.returncode == 0, result.stderr
  assert result.stdout.splitlines()[0] == "digits_cnn version 2"
  assert "  serving_default(pixels DT_UINT8 [-1, 8, 8, 1]) -> class_ids DT_INT64 [-1], classes DT_STRING [-1]" \
      in result.stdout


def test_errors_exit_1_with_the_way_out(servers):
  rest, grpc = servers
  result = _run(f"--server={rest.url}", "--model=digits_lstm", "--status", without_tensorflow=True)
  assert result.returncode == 1 and "Traceback" not in result.stderr
  assert result.stderr.startswith(f"error: TF Serving at {rest.url} has no model digits_lstm (Could not find any "
                                  "versions of model digits_lstm)")
  assert "models.config lists the models" in result.stderr
  result = _run(f"--grpc={grpc.address}", "--model=digits_cnn", "--label=beta", "--text=x")
  assert result.returncode == 1 and "Unrecognized servable version label: beta" in result.stderr
  with socket.socket() as probe:  # a port where nothing listens
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
  result = _run(f"--server=http://127.0.0.1:{port}", "--model=digits_cnn", "--status", "--retries=0",
                without_tensorflow=True)
  assert result.returncode == 1 and "error: Cannot connect to TF Serving" in result.stderr
  result = _run(f"--server={rest.url}", f"--grpc={grpc.address}", "--model=digits_cnn", "--status")
  assert result.returncode != 0 and "one of them" in result.stderr
  result = _run(f"--server={rest.url}", "--model=digits_cnn", "--image=missing.png")
  assert result.returncode != 0 and "--image=missing.png: No such file or directory" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_prompts_get_the_keras_greedy_continuation(tmp_path_factory, protocol):
  from tests.testing.language_models import PROMPTS, exported_language_model, trained_language_model
  from tfmodels.generation import KerasNextToken
  from tfmodels.training.model_artifact import ModelArtifact
  root = tmp_path_factory.getbasetemp()
  export_dir, _ = exported_language_model(root, "transformer_lm")
  models = ServedModels(str(pathlib.Path(export_dir) / "serving"))
  server_class, flag = (RestStandIn, "--server") if protocol == "rest" else (GrpcStandIn, "--grpc")
  with server_class(models) as server:
    address = server.url if protocol == "rest" else server.address
    result = _run(f"{flag}={address}", "--model=pride_transformer_lm", "--max_tokens=30",
                  *[f"--prompt={prompt}" for prompt in PROMPTS[:2]], without_tensorflow=protocol == "rest")
    assert result.returncode == 0, result.stderr
    generator = KerasNextToken.generator(ModelArtifact.load(trained_language_model(root, "transformer_lm")))
    assert result.stdout.splitlines() == [prompt + generator.generate(prompt, 30).text for prompt in PROMPTS[:2]]
    refused = _run(f"{flag}={address}", "--model=pride_transformer_lm", "--max_tokens=0", "--prompt=It is")
    assert refused.returncode != 0 and "--max_tokens=0" in refused.stderr
