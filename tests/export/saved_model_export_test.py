"""Tests of export/serving/saved_model_export.py: signatures on raw inputs, versions, atomic publication."""

import io
import os

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from edge import ImageLoader
from export.export_error import ExportError
from export.serving.saved_model_export import signature_names, write_serving_saved_model
from export.serving.serving_versions import existing_versions, publish, resolve_version, staging_directory
from export.verification import OUTPUT_NAMES, run_signature
from tfmodels import data as data_lib
from tfmodels.training.model_artifact import ModelArtifact


def _load_written(model_dir: str, path: str):
  artifact = ModelArtifact.load(model_dir)
  model = artifact.load_model()
  write_serving_saved_model(model, path, kind=artifact.kind, feature_shape=artifact.feature_shape,
                            label_names=artifact.label_names, vocabulary_path=artifact.vocabulary_path,
                            sequence_length=artifact.config.data.sequence_length)
  return artifact, model, tf.saved_model.load(path)


def _encoded(pixels: np.ndarray, image_format: str, size: tuple[int, int] | None = None) -> bytes:
  image = Image.fromarray(pixels[..., 0])
  if size:
    image = image.resize(size, Image.Resampling.NEAREST)
  buffer = io.BytesIO()
  image.save(buffer, format=image_format)
  return buffer.getvalue()


@pytest.fixture(scope="module")
def digits_saved_model(digits_model_dir, tmp_path_factory):
  artifact, model, loaded = _load_written(digits_model_dir, str(tmp_path_factory.mktemp("serving") / "1"))
  pixels, labels = data_lib.load_dataset(artifact.config.data).split_arrays("test")
  return artifact, model, loaded, pixels[:64], labels[:64]


def test_image_signatures_take_raw_pixels_and_encoded_files(digits_saved_model):
  artifact, model, loaded, pixels, _ = digits_saved_model
  assert set(loaded.signatures) == set(signature_names("image")) == {"serving_default", "serving_bytes"}
  by_pixels = run_signature(loaded.signatures["serving_default"], "pixels", pixels)
  assert set(by_pixels) == set(OUTPUT_NAMES)
  np.testing.assert_allclose(by_pixels["logits"], model(pixels).numpy(), atol=1e-5)
  assert by_pixels["class_ids"].dtype == np.int64
  assert [c.decode() for c in by_pixels["classes"]] == [artifact.label_names[i] for i in by_pixels["class_ids"]]
  np.testing.assert_allclose(by_pixels["probabilities"].sum(axis=-1), 1.0, atol=1e-6)
  files = np.array([_encoded(image, "PNG") for image in pixels], dtype=object)
  by_bytes = run_signature(loaded.signatures["serving_bytes"], "image_bytes", files)
  for name in OUTPUT_NAMES:
    np.testing.assert_array_equal(by_bytes[name], by_pixels[name])


def test_serving_bytes_resizes_other_sizes_and_reads_jpeg(digits_saved_model):
  _, _, loaded, pixels, _ = digits_saved_model
  enlarged, jpeg = _encoded(pixels[0], "PNG", (16, 16)), _encoded(pixels[0], "JPEG")
  outputs = run_signature(loaded.signatures["serving_bytes"], "image_bytes", np.array([enlarged, jpeg], dtype=object))
  # The same by hand: the 16x16 nearest-neighbour enlargement resized back (bilinear, antialiased, rounded), and the
  # JPEG decoded at its own size.
  big = np.repeat(np.repeat(pixels[0], 2, axis=0), 2, axis=1).astype(np.float32)
  resized = tf.cast(tf.round(tf.clip_by_value(tf.image.resize(big, (8, 8), antialias=True), 0, 255)), tf.uint8)
  decoded = tf.io.decode_jpeg(jpeg, channels=1)
  expected = run_signature(loaded.signatures["serving_default"], "pixels", np.stack([resized, decoded]))
  assert outputs["logits"].shape == (2, 10)
  np.testing.assert_allclose(outputs["logits"], expected["logits"], atol=1e-5)
  np.testing.assert_array_equal(outputs["class_ids"], expected["class_ids"])


def test_text_signatures_tokenize_inside(transformer_model_dir, tmp_path):
  artifact, model, loaded = _load_written(transformer_model_dir, str(tmp_path / "1"))
  assert set(loaded.signatures) == {"serving_default", "serving_token_ids"}
  texts, _ = data_lib.load_dataset(artifact.config.data).split_arrays("test")
  ids = np.asarray(artifact.preprocessor()(texts[:50]))
  by_text = run_signature(loaded.signatures["serving_default"], "text", texts[:50])
  by_ids = run_signature(loaded.signatures["serving_token_ids"], "token_ids", ids)
  np.testing.assert_allclose(by_text["logits"], model(ids).numpy(), atol=1e-5)
  np.testing.assert_array_equal(by_text["logits"], by_ids["logits"])
  assert {c.decode() for c in by_text["classes"]} <= set(artifact.label_names)


def test_versions_count_up_and_an_existing_one_needs_overwrite(tmp_path):
  root = str(tmp_path / "model")
  assert existing_versions(root) == [] and resolve_version(root, None, False) == 1
  for name in ("1", "3", ".tmp-4-x", "notes"):
    os.makedirs(os.path.join(root, name))
  assert existing_versions(root) == [1, 3]
  assert resolve_version(root, None, False) == 4
  assert resolve_version(root, 2, False) == 2 and resolve_version(root, 3, True) == 3
  with pytest.raises(ExportError, match="Version 3 already exists .* --overwrite"):
    resolve_version(root, 3, False)
  with pytest.raises(ExportError, match="integer versions >= 1"):
    resolve_version(root, 0, False)


def test_publication_is_a_rename_of_a_complete_directory(tmp_path):
  root = str(tmp_path / "model")
  staged = staging_directory(root, 1)
  assert os.path.basename(staged).startswith(".") and existing_versions(root) == []
  os.makedirs(os.path.join(root, "1"))
  with open(os.path.join(root, "1", "saved_model.pb"), "w") as f:
    f.write("old")
  with pytest.raises(ExportError, match="appeared"):
    publish(staged, root, 1, overwrite=False)
  assert os.listdir(root) == ["1"]  # the staged copy is gone
  staged = staging_directory(root, 1)
  with open(os.path.join(staged, "saved_model.pb"), "w") as f:
    f.write("new")
  os.makedirs(os.path.join(root, ".rejected-1"))  # a copy of version 1 that failed its gates earlier
  assert publish(staged, root, 1, overwrite=True) == os.path.join(root, "1")
  with open(os.path.join(root, "1", "saved_model.pb")) as f:
    assert f.read() == "new"
  assert sorted(os.listdir(root)) == ["1"]  # neither the staged, the retired nor the rejected copy is left
  # Permissions as for any new directory (not owner-only), so a server running as another user can read it.
  assert os.stat(os.path.join(root, "1")).st_mode & 0o777 == os.stat(root).st_mode & 0o777


def test_16_bit_pngs_give_serving_bytes_and_the_edge_runtime_the_pixels_of_their_8_bit_copy(digits_saved_model,
                                                                                           tmp_path):
  _, _, loaded, pixels, _ = digits_saved_model
  # Each test image at 16 bits: its 8-bit copy in the high byte, noise in the low byte. Most values are above 255,
  # which Pillow's convert("L") clipped to white (the digits then predicted other classes).
  low = np.random.default_rng(0).integers(0, 256, pixels.shape).astype(np.uint16)
  wide = (pixels.astype(np.uint16) << 8) + low
  assert (wide > 255).mean() > 0.5
  files = []
  for index, image in enumerate(wide):
    path = tmp_path / f"{index}.png"
    Image.fromarray(image[..., 0]).save(path)  # a 16-bit grey PNG (Pillow mode I;16)
    files.append(path.read_bytes())
  loader = ImageLoader(8, 8, 1)
  np.testing.assert_array_equal(np.stack([loader.load(str(tmp_path / f"{i}.png")) for i in range(len(wide))]),
                                pixels)
  by_bytes = run_signature(loaded.signatures["serving_bytes"], "image_bytes", np.array(files, dtype=object))
  by_pixels = run_signature(loaded.signatures["serving_default"], "pixels", pixels)
  for name in OUTPUT_NAMES:
    np.testing.assert_array_equal(by_bytes[name], by_pixels[name])
  # 16-bit colour PNGs (Pillow keeps their high byte itself) decode alike too, in serving_bytes' decoder.
  rgb = np.random.default_rng(1).integers(0, 65536, (8, 8, 3)).astype(np.uint16)
  (tmp_path / "rgb.png").write_bytes(tf.io.encode_png(rgb).numpy())
  np.testing.assert_array_equal(ImageLoader(8, 8, 3).load(str(tmp_path / "rgb.png")), rgb >> 8)
  np.testing.assert_array_equal(tf.io.decode_image((tmp_path / "rgb.png").read_bytes(), channels=3).numpy(), rgb >> 8)
