"""Multi-worker training across local processes: MultiWorkerMirroredStrategy through TF_CONFIG on 127.0.0.1."""

import json
import os
import re
import sys

import numpy as np
import pytest

from tfmodels.training.experiment import config_from_flags, train
from tfmodels.training.local_cluster import LocalCluster
from tfmodels.training.model_artifact import ModelArtifact

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# No BatchNorm (per-replica statistics) and no dropout (per-replica randomness): the cluster must then compute what
# one process computes with the same global batch.
PARAMS = "model.cnn.batch_norm=false,model.cnn.dropout=0"


def cluster_command(model_dir, epochs):
  return [sys.executable, os.path.join(ROOT, "tools", "train.py"), "--model=cnn", "--dataset=digits",
          f"--model_dir={model_dir}", f"--epochs={epochs}", "--batch_size=32", "--seed=5",
          "--strategy=multi_worker_mirrored", f"--params={PARAMS}"]


def fingerprints(lines):
  found = {}
  for line in lines:
    match = re.match(r"\[worker (\d)\] .*weights fingerprint ([-0-9.e+]+)", line)
    if match:
      found[int(match.group(1))] = float(match.group(2))
  return found


@pytest.mark.slow
def test_two_workers_agree_with_each_other_and_with_one_process(tmp_path):
  lines = []
  cluster = LocalCluster(cluster_command(tmp_path / "cluster", 2), num_workers=2, output=lines.append)
  assert cluster.run(timeout=600) == 0, "\n".join(lines[-40:])
  prints = fingerprints(lines)
  assert set(prints) == {0, 1} and prints[0] == prints[1], "\n".join(lines[-20:])
  # Only the chief wrote the model directory; the other worker's temporary directory is gone.
  assert (tmp_path / "cluster" / "model.keras").exists()
  train(config_from_flags(model="cnn", dataset="digits", epochs=2, batch_size=32, seed=5, strategy="default",
                          params=PARAMS), str(tmp_path / "single"))
  cluster_model = ModelArtifact.load(str(tmp_path / "cluster")).load_model()
  single_model = ModelArtifact.load(str(tmp_path / "single")).load_model()
  # Float rounding of the all-reduce, amplified by Adam's normalised steps over 80 steps, moves single weights by up
  # to ~1e-2; other batches or another initialisation would move all of them by the size of the weights (~1e-1).
  for a, b in zip(cluster_model.get_weights(), single_model.get_weights()):
    assert np.abs(a - b).mean() < 1e-3
  from tfmodels.data import load_dataset
  pixels, _ = load_dataset(ModelArtifact.load(str(tmp_path / "single")).config.data).split_arrays("test")
  cluster_logits, single_logits = cluster_model.predict(pixels, verbose=0), single_model.predict(pixels, verbose=0)
  assert (cluster_logits.argmax(-1) == single_logits.argmax(-1)).mean() >= 0.98
  assert np.abs(cluster_logits - single_logits).mean() < 0.05


@pytest.mark.slow
def test_killed_worker_then_restarted_cluster_resumes(tmp_path):
  model_dir = tmp_path / "run"
  lines = []
  cluster = LocalCluster(cluster_command(model_dir, 4), num_workers=2, output=lines.append)
  cluster.start()
  checkpoint = model_dir / "checkpoints" / "ckpt-1.index"
  deadline = __import__("time").monotonic() + 400
  while not checkpoint.exists():
    assert __import__("time").monotonic() < deadline and all(p.poll() is None for p in cluster.processes), \
        "\n".join(lines[-40:])
    __import__("time").sleep(0.05)
  cluster.kill(1)
  assert cluster.wait(timeout=120) != 0
  completed = max(row["epoch"] for row in json.load(open(model_dir / "history.json")))
  assert completed < 4
  lines.clear()
  assert LocalCluster(cluster_command(model_dir, 4), num_workers=2, output=lines.append).run(timeout=600) == 0, \
      "\n".join(lines[-40:])
  for worker in (0, 1):
    assert any(line.startswith(f"[worker {worker}] Resuming after epoch {completed}") for line in lines), \
        "\n".join(lines[-40:])
  assert [row["epoch"] for row in json.load(open(model_dir / "history.json"))] == [1, 2, 3, 4]
  prints = fingerprints(lines)
  assert prints[0] == prints[1]


def test_bad_tf_config_is_a_clear_error(tmp_path):
  import subprocess
  env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": {"worker": ["127.0.0.1:1"]},
                                                "task": {"type": "worker", "index": 2}}))
  result = subprocess.run(cluster_command(tmp_path, 1), env=env, capture_output=True, text=True, timeout=300)
  assert result.returncode == 1
  assert "index 2 is outside the cluster" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_two_workers_stream_their_own_record_files(tmp_path):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  digits = datasets.load_digits()
  pixels = np.round(digits.images * 255 / 16).astype(np.uint8)[..., np.newaxis]
  features = tfds.features.FeaturesDict({"image": tfds.features.Image(shape=(8, 8, 1)),
                                         "label": tfds.features.ClassLabel(num_classes=10)})
  examples = lambda indices: [(int(i), {"image": pixels[i], "label": int(digits.target[i])}) for i in indices]
  tfds.dataset_builders.store_as_tfds_dataset(
      name="sharded_digits", version="1.0.0", features=features, data_dir=str(tmp_path / "data"),
      split_datasets={"train": examples(range(1400)), "test": examples(range(1400, 1797))},
      download_config=tfds.download.DownloadConfig(num_shards=4))
  command = [sys.executable, os.path.join(ROOT, "tools", "train.py"), "--model=cnn", "--dataset=tfds:sharded_digits",
             f"--data_dir={tmp_path / 'data'}", f"--model_dir={tmp_path / 'run'}", "--epochs=2", "--batch_size=32",
             "--strategy=multi_worker_mirrored",
             f"--params={PARAMS},data.cache_budget_mb=0,data.feature_key=image,data.label_key=label"]
  lines = []
  assert LocalCluster(command, num_workers=2, output=lines.append).run(timeout=600) == 0, "\n".join(lines[-40:])
  prints = fingerprints(lines)
  assert set(prints) == {0, 1} and prints[0] == prints[1], "\n".join(lines[-20:])
  evaluation = json.load(open(tmp_path / "run" / "evaluation.json"))
  assert evaluation["num_examples"] == 397 and evaluation["accuracy"] > 0.6  # chance: 0.1
