"""Tests of the Rotten Tomatoes TFDS builder, on a small corpus file written here."""

import bz2

import tensorflow_datasets as tfds

from tfmodels.data.builders import rotten_tomatoes
from tfmodels.data.builders.split_carving_builder import carving_config


def test_builder_drops_plot_and_blank_rows(tmp_path):
  rows = [
      "category,text,movie_name,has_plot_and_reviews",
      "plot,A man robs a bank.,heist,True",
      'fresh,"Tense, clever and fun.",heist,True',
      "rotten,Too long by half.,heist,True",
      "fresh,   ,heist,True",
      'rotten,"Quotes ""inside"", fine.",other,False',
  ]
  (tmp_path / rotten_tomatoes.FILE_NAME).write_bytes(bz2.compress("\n".join(rows).encode("utf-8")))
  # Three snippets are too few to carve from: all of them stay in train.
  builder = rotten_tomatoes.RottenTomatoes(data_dir=str(tmp_path / "tfds"), config=carving_config(0.0, 0.0, 0))
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path)))
  assert builder.info.features["label"].names == ["rotten", "fresh"]
  texts, labels = tfds.as_numpy(builder.as_dataset(split="train", batch_size=-1, as_supervised=True))
  assert sorted(zip(texts.tolist(), labels.tolist())) == [
      (b'Quotes "inside", fine.', 0), (b"Tense, clever and fun.", 1), (b"Too long by half.", 0)]
