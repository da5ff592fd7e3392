"""Tests of `tfds:NAME`: TFDS data sets that the tests prepare themselves, offline, from real digits and texts."""

import json
import pathlib

import numpy as np
import pytest
from sklearn import datasets
import tensorflow_datasets as tfds

from tfmodels.config import DataConfig
from tfmodels import data as data_lib
from tfmodels.data import DataError
from tfmodels.data import load_dataset
from tfmodels.training.experiment import config_from_flags, train

_DIGITS = datasets.load_digits()
_PIXELS = np.round(_DIGITS.images * 255 / 16).astype(np.uint8)[..., np.newaxis]  # (1797, 8, 8, 1)
_SENTENCES = [f"Review {i}: " + ("a fine, warm and funny film" if i % 2 else "a dull and far too long film")
              for i in range(60)]


class TfdsDigits(tfds.core.GeneratorBasedBuilder):
  """Real digits as a TFDS set with its builder code: 600 train and 200 test examples, no validation split."""

  VERSION = tfds.core.Version("1.2.0")

  def _info(self):
    return tfds.core.DatasetInfo(
        builder=self, supervised_keys=("image", "label"),
        features=tfds.features.FeaturesDict({"image": tfds.features.Image(shape=(8, 8, 1)),
                                             "label": tfds.features.ClassLabel(num_classes=10)}))

  def _split_generators(self, dl_manager):
    return {"train": self._generate_examples(range(600)), "test": self._generate_examples(range(600, 800))}

  def _generate_examples(self, indices):
    for index in indices:
      yield index, {"image": _PIXELS[index], "label": int(_DIGITS.target[index])}


class TfdsReviews(tfds.core.GeneratorBasedBuilder):
  """Short texts with a label, and a second text feature, without supervised keys."""

  VERSION = tfds.core.Version("1.0.0")

  def _info(self):
    return tfds.core.DatasetInfo(
        builder=self,
        features=tfds.features.FeaturesDict({"review": tfds.features.Text(), "title": tfds.features.Text(),
                                             "stars": tfds.features.Scalar(np.int32),
                                             "sentiment": tfds.features.ClassLabel(names=["neg", "pos"])}))

  def _split_generators(self, dl_manager):
    return {"train": self._generate_examples()}

  def _generate_examples(self):
    for index, text in enumerate(_SENTENCES):
      yield index, {"review": text, "title": f"t{index}", "stars": index % 5, "sentiment": index % 2}


class TfdsManualText(tfds.core.GeneratorBasedBuilder):
  """A set whose source must be put in a manual directory."""

  VERSION = tfds.core.Version("1.0.0")
  MANUAL_DOWNLOAD_INSTRUCTIONS = "Put source.txt in the manual directory."

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({"text": tfds.features.Text()}))

  def _split_generators(self, dl_manager):
    return {"train": self._generate_examples(pathlib.Path(dl_manager.manual_dir) / "source.txt")}

  def _generate_examples(self, path):
    for index, line in enumerate(path.read_text().splitlines()):
      yield index, {"text": line}


def _config(tmp_path, name, **overrides):
  return DataConfig(dataset=f"tfds:{name}", data_dir=str(tmp_path), **overrides)


def test_a_set_with_builder_code_is_prepared_on_first_use_and_carved_by_slicing(tmp_path):
  dataset = load_dataset(_config(tmp_path, "tfds_digits"))
  assert (tmp_path / "tfds_digits" / "1.2.0" / "dataset_info.json").exists()  # the standard TFDS layout
  assert dataset.kind == "image" and dataset.feature_shape == (8, 8, 1)
  assert dataset.label_names == tuple(str(d) for d in range(10))
  # 10 % of the 600 training examples go to validation, sliced off the end; the set's own test split stays.
  assert dataset.num_examples == {"train": 540, "validation": 60, "test": 200}
  assert dataset.split_specs == {"train": "train[:540]", "validation": "train[540:600]", "test": "test"}
  train, _ = dataset.split_arrays("train")
  validation, _ = dataset.split_arrays("validation")
  assert not {image.tobytes() for image in train} & {image.tobytes() for image in validation}


def test_a_prepared_set_is_read_without_its_builder_code(tmp_path):
  tfds.builder("tfds_digits", data_dir=str(tmp_path / "elsewhere")).download_and_prepare()
  # Move the records under another name that no builder class has: only builder_from_directory can read them.
  source = tmp_path / "elsewhere" / "tfds_digits" / "1.2.0"
  target = tmp_path / "data" / "orphan_digits" / "1.2.0"
  target.parent.mkdir(parents=True)
  source.rename(target)
  for path in target.glob("tfds_digits-*"):
    path.rename(target / path.name.replace("tfds_digits", "orphan_digits"))
  info = json.loads((target / "dataset_info.json").read_text())
  (target / "dataset_info.json").write_text(json.dumps({**info, "name": "orphan_digits"}))
  dataset = load_dataset(DataConfig(dataset="tfds:orphan_digits", data_dir=str(tmp_path / "data")))
  assert dataset.num_examples == {"train": 540, "validation": 60, "test": 200}
  images, labels = dataset.split_arrays("test")
  assert images.shape == (200, 8, 8, 1) and set(labels.tolist()) == set(range(10))
  assert load_dataset(DataConfig(dataset="tfds:orphan_digits:1.2.0", data_dir=str(tmp_path / "data"))).num_examples \
      == dataset.num_examples


def test_the_cnn_trains_on_a_tfds_set(tmp_path):
  # The image recipe (augmentation, cosine decay after a warm-up epoch) needs a few more epochs than a plain CNN.
  config = config_from_flags(model="cnn", dataset="tfds:tfds_digits", data_dir=str(tmp_path / "data"), epochs=10)
  evaluation = train(config, str(tmp_path / "run"))
  assert evaluation["num_examples"] == 200 and evaluation["accuracy"] > 0.7


def test_a_text_set_is_read_by_the_keys_the_user_names(tmp_path):
  with pytest.raises(DataError) as error:
    load_dataset(_config(tmp_path, "tfds_reviews"))
  assert "has no supervised keys" in str(error.value) and "data.feature_key=NAME,data.label_key=NAME" in str(error.value)
  dataset = load_dataset(_config(tmp_path, "tfds_reviews", feature_key="review", label_key="sentiment",
                                 validation_fraction=0.2, test_fraction=0.2))
  assert dataset.kind == "text" and dataset.label_names == ("neg", "pos")
  assert dataset.num_examples == {"train": 36, "validation": 12, "test": 12}
  texts, _ = dataset.split_arrays("test")
  assert all(text.decode().startswith("Review") for text in texts)


@pytest.mark.parametrize("overrides, fragment", [
    ({"feature_key": "stars", "label_key": "sentiment"}, "Feature 'stars' of 'tfds:tfds_reviews' is a Scalar"),
    ({"feature_key": "review", "label_key": "title"}, "Feature 'title' of 'tfds:tfds_reviews' is a Text, not a class"),
    ({"feature_key": "review", "label_key": "nothing"}, "has no feature 'nothing'"),
])
def test_features_of_the_wrong_kind_are_named(tmp_path, overrides, fragment):
  with pytest.raises(DataError, match=fragment):
    load_dataset(_config(tmp_path, "tfds_reviews", **overrides))


def test_a_text_set_without_labels_is_a_corpus(tmp_path):
  manual = tmp_path / "manual"
  manual.mkdir()
  (manual / "source.txt").write_text("\n".join(_SENTENCES * 20))
  config = _config(tmp_path, "tfds_manual_text", manual_dir=str(manual), sequence_length=32)
  with pytest.raises(DataError, match="has no class label.*corpus for the language models"):
    load_dataset(config)
  corpus = data_lib.load_corpus(config)
  text = "".join(block for split in data_lib.SPLIT_NAMES for block in corpus.texts(split))
  assert sum(corpus.num_characters.values()) == len("\n".join(_SENTENCES * 20)) + 1
  assert _SENTENCES[3] + "\n" in text


def test_unknown_names_suggest_close_ones(tmp_path):
  with pytest.raises(DataError) as error:
    load_dataset(_config(tmp_path, "tfds_digitz"))
  assert "Unknown TFDS data set 'tfds_digitz'" in str(error.value) and "Did you mean tfds:tfds_digits" in str(error.value)
  with pytest.raises(DataError, match="is not a TFDS name"):
    load_dataset(_config(tmp_path, "Bad Name!"))


def test_a_set_that_cannot_be_prepared_says_how(tmp_path):
  with pytest.raises(DataError) as error:
    load_dataset(_config(tmp_path, "tfds_manual_text"))
  message = str(error.value)
  assert "is not prepared" in message and "--params=data.manual_dir=DIR" in message
  assert "Put source.txt in the manual directory." in message
  assert f"tfds build tfds_manual_text --data_dir={tmp_path}" in message
