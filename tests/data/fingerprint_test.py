"""Tests of prepared copies of user folders keyed by a fingerprint of their files (tfmodels/data/fingerprint.py)."""

import os
import pathlib

import numpy as np
from PIL import Image
from sklearn import datasets

from tfmodels.config import DataConfig
from tfmodels.data import load_dataset
from tfmodels.data.builders import user_image_folder

_DIGITS = datasets.load_digits()


def _folder(root: pathlib.Path, per_label: int = 10) -> pathlib.Path:
  for label in (0, 1):
    for index in range(per_label):
      pixels = np.round(_DIGITS.images[np.flatnonzero(_DIGITS.target == label)[index]] * 255 / 16).astype(np.uint8)
      (root / str(label)).mkdir(parents=True, exist_ok=True)
      Image.fromarray(pixels, "L").save(root / str(label) / f"{index}.png")
  return root


def _prepared_copies(cache: pathlib.Path) -> list[pathlib.Path]:
  return sorted(cache.glob("tfds/user/*/user_image_folder/*/1.0.0/dataset_info.json"))


def test_only_a_changed_folder_is_prepared_again(tmp_path, monkeypatch):
  root = _folder(tmp_path / "images")
  config = DataConfig(dataset=f"images:{root}", data_dir=str(tmp_path / "cache"))
  writes = []
  original = user_image_folder.UserImageFolder._split_generators  # pylint: disable=protected-access
  monkeypatch.setattr(user_image_folder.UserImageFolder, "_split_generators",
                      lambda self, manager: writes.append(1) or original(self, manager))
  first = load_dataset(config)
  assert len(writes) == 1 and len(_prepared_copies(tmp_path / "cache")) == 1
  # Loading again, or from another process's point of view (same files), reads the records as they are.
  again = load_dataset(config)
  assert len(writes) == 1 and again.num_examples == first.num_examples
  np.testing.assert_array_equal(again.split_arrays("test")[0], first.split_arrays("test")[0])
  # A file added: prepared again, and the copy of the old state is removed.
  Image.fromarray(np.zeros((8, 8), np.uint8), "L").save(root / "1" / "extra.png")
  grown = load_dataset(config)
  assert len(writes) == 2 and sum(grown.num_examples.values()) == 21
  assert len(_prepared_copies(tmp_path / "cache")) == 1
  # A file replaced in place (new modification time): prepared again too.
  path = root / "0" / "0.png"
  os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
  load_dataset(config)
  assert len(writes) == 3
  # Other split settings are another prepared copy beside it, not a change of the folder.
  load_dataset(DataConfig(dataset=f"images:{root}", data_dir=str(tmp_path / "cache"), split_seed=1))
  assert len(writes) == 4 and len(_prepared_copies(tmp_path / "cache")) == 2


def test_the_split_comes_from_the_file_list(tmp_path):
  # The same files in a folder of another name give the same split of the same images.
  a = load_dataset(DataConfig(dataset=f"images:{_folder(tmp_path / 'a')}", data_dir=str(tmp_path / "cache")))
  b = load_dataset(DataConfig(dataset=f"images:{_folder(tmp_path / 'b')}", data_dir=str(tmp_path / "cache")))
  for split in ("train", "validation", "test"):
    assert sorted(x.tobytes() for x in a.split_arrays(split)[0]) == sorted(x.tobytes() for x in b.split_arrays(split)[0])
