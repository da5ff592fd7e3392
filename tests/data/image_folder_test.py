"""Tests of user image folders (`images:DIR`), on small folders of real digit images."""

import pathlib

import numpy as np
from PIL import Image
import pytest
from sklearn import datasets

from tfmodels.config import DataConfig
from tfmodels.data import DataError
from tfmodels.data import image_folder

_DIGITS = datasets.load_digits()
_PIXELS = np.round(_DIGITS.images * 255 / 16).astype(np.uint8)  # (1797, 8, 8)


def _digit(label: int, index: int = 0) -> np.ndarray:
  """The `index`-th real 8x8 image of digit `label`."""
  return _PIXELS[np.flatnonzero(_DIGITS.target == label)[index]]


def _write(path: pathlib.Path, pixels: np.ndarray, mode: str = "L", size: tuple[int, int] = (8, 8)) -> pathlib.Path:
  """Writes grey `pixels` as an image file of `mode` and `(width, height)` `size`; the suffix picks the format."""
  path.parent.mkdir(parents=True, exist_ok=True)
  image = Image.fromarray(pixels, "L")
  if size != image.size:
    image = image.resize(size, Image.Resampling.NEAREST)
  image.convert(mode).save(path)
  return path


def _make_folder(root: pathlib.Path, labels=(0, 1, 2), per_label: int = 10, suffix: str = ".png") -> pathlib.Path:
  for label in labels:
    for index in range(per_label):
      _write(root / f"digit_{label}" / f"{index}{suffix}", _digit(label, index))
  return root


def _load(root: pathlib.Path, **overrides):
  # The prepared copy goes beside the folder, not into the shared cache.
  return image_folder.load_image_folder(str(root), DataConfig(dataset=f"images:{root}",
                                                              data_dir=str(root.parent / "cache"), **overrides))


def test_flat_folder_is_split_three_ways_with_exact_pixels(tmp_path):
  root = _make_folder(tmp_path / "digits", per_label=20)
  dataset = _load(root)
  assert dataset.kind == "image"
  assert dataset.label_names == ("digit_0", "digit_1", "digit_2")
  assert dataset.feature_shape == (8, 8, 1)
  assert dataset.num_examples == {"train": 42, "validation": 6, "test": 12}
  assert dataset.splits["train"].element_spec[0].shape == (8, 8, 1)
  # PNG is lossless and no resizing happens, so every decoded image is one of the originals with its label.
  originals = {(label, _digit(label, i).tobytes()) for label in range(3) for i in range(20)}
  for split in ("train", "validation", "test"):
    images, labels = dataset.split_arrays(split)
    assert images.dtype == np.uint8
    assert {(int(label), image[..., 0].tobytes()) for image, label in zip(images, labels)} <= originals


def test_split_folders_are_kept_and_validation_is_carved_from_train(tmp_path):
  _make_folder(tmp_path / "train", per_label=10)
  _make_folder(tmp_path / "test", labels=(0, 1), per_label=3)
  dataset = _load(tmp_path, validation_fraction=0.2)
  assert dataset.num_examples == {"train": 24, "validation": 6, "test": 6}
  _, test_labels = dataset.split_arrays("test")
  assert sorted(test_labels.tolist()) == [0, 0, 0, 1, 1, 1]


def test_all_three_split_folders_are_kept(tmp_path):
  for split, count in (("train", 5), ("validation", 2), ("test", 3)):
    _make_folder(tmp_path / split, labels=(3, 4), per_label=count)
  dataset = _load(tmp_path)
  assert dataset.num_examples == {"train": 10, "validation": 4, "test": 6}


def test_formats_and_extension_case(tmp_path):
  root = tmp_path / "formats"
  for label in (5, 6):
    for index, suffix in enumerate((".PNG", ".jpg", ".JPEG", ".bmp", ".gif")):
      _write(root / str(label) / f"{index}{suffix}", _digit(label, index))
  dataset = _load(root, validation_fraction=0.0, test_fraction=0.2)
  assert dataset.num_examples["train"] + dataset.num_examples["test"] == 10
  images, labels = dataset.split_arrays("train")
  # JPEG is lossy: compare loosely against the originals.
  for image, label in zip(images, labels):
    candidates = [_digit(5 + int(label), i).astype(int) for i in range(5)]
    assert min(np.abs(image[..., 0].astype(int) - c).mean() for c in candidates) < 12


def test_gif_gives_its_first_frame(tmp_path):
  root = _make_folder(tmp_path / "gif", labels=(1,), per_label=4)
  first, second = _digit(2, 0), _digit(2, 1)
  (root / "2").mkdir()
  frames = [Image.fromarray(first, "L"), Image.fromarray(second, "L")]
  frames[0].save(root / "2" / "anim.gif", save_all=True, append_images=frames[1:])
  dataset = _load(root, validation_fraction=0.0, test_fraction=0.2)
  images, labels = dataset.split_arrays("train")
  np.testing.assert_array_equal(images[labels == dataset.label_names.index("2")][0][..., 0], first)


def test_mixed_sizes_and_channels_follow_the_majority(tmp_path):
  root = tmp_path / "mixed"
  # Majority: 12x10 (H x W) RGB; minority: 8x8 grey and a 16x16 RGBA.
  for label in (0, 1):
    for index in range(4):
      _write(root / str(label) / f"big{index}.png", _digit(label, index), mode="RGB", size=(10, 12))
    _write(root / str(label) / "small.png", _digit(label, 5), mode="L")
    _write(root / str(label) / "alpha.png", _digit(label, 6), mode="RGBA", size=(16, 16))
  dataset = _load(root, validation_fraction=0.0, test_fraction=0.2)
  assert dataset.feature_shape == (12, 10, 3)
  images, _ = dataset.split_arrays("train")
  assert images.shape[1:] == (12, 10, 3)
  # Grey images converted to RGB have three equal channels.
  np.testing.assert_array_equal(images[..., 0], images[..., 1])


def test_config_size_and_channels_override_the_majority(tmp_path):
  root = tmp_path / "override"
  for label in (0, 1):
    for index in range(3):
      _write(root / str(label) / f"{index}.png", _digit(label, index), mode="RGB", size=(8, 8))
  dataset = _load(root, image_size=(16, 12), image_channels=1, validation_fraction=0.0, test_fraction=0.3)
  assert dataset.feature_shape == (16, 12, 1)
  images, _ = dataset.split_arrays("train")
  assert images.shape[1:] == (16, 12, 1)


def test_grey_majority_and_transparency_flattened_onto_black(tmp_path):
  root = tmp_path / "grey"
  for label in (0, 1):
    for index in range(3):
      _write(root / str(label) / f"{index}.png", _digit(label, index))
  transparent = Image.new("RGBA", (8, 8), (255, 255, 255, 0))
  transparent.save(root / "1" / "transparent.png")
  dataset = _load(root, validation_fraction=0.0, test_fraction=0.2)
  assert dataset.feature_shape == (8, 8, 1)
  images, labels = (np.concatenate(arrays) for arrays in zip(*map(dataset.split_arrays, ("train", "test"))))
  assert any(not image.any() for image in images[labels == 1])  # The fully transparent image is black.


def test_hidden_files_are_ignored(tmp_path):
  root = _make_folder(tmp_path / "hidden", labels=(0, 1), per_label=6)
  (root / "digit_0" / ".DS_Store").write_bytes(b"\0\1junk")
  (root / ".git").mkdir()
  assert _load(root).num_classes == 2


@pytest.mark.parametrize("make, fragment", [
    (lambda root: root / "missing", "does not exist"),
    (lambda root: root, "has no label folders"),
])
def test_missing_or_empty_folder(tmp_path, make, fragment):
  with pytest.raises(DataError, match=fragment):
    _load(make(tmp_path))


def test_label_folder_without_images(tmp_path):
  root = _make_folder(tmp_path / "d", labels=(0, 1), per_label=3)
  (root / "cat").mkdir()
  with pytest.raises(DataError) as error:
    _load(root)
  assert "Label folder 'cat'" in str(error.value)
  assert "has no images (.png .jpg .jpeg .bmp .gif). Add images or remove the folder." in str(error.value)


def test_corrupt_and_truncated_files_are_all_reported(tmp_path):
  # Enough good images to carve every split, so that the bad ones are found in train, validation and test alike.
  root = _make_folder(tmp_path / "d", labels=(0, 1), per_label=10)
  (root / "digit_0" / "empty.png").write_bytes(b"")
  (root / "digit_1" / "garbage.jpg").write_bytes(b"this is not a jpeg at all")
  good = (root / "digit_1" / "0.png").read_bytes()
  (root / "digit_1" / "truncated.png").write_bytes(good[: len(good) // 2])
  photo = tmp_path / "photo.jpg"
  Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8), "L").save(photo)
  (root / "digit_0" / "truncated.jpg").write_bytes(photo.read_bytes()[:400])
  with pytest.raises(DataError) as error:
    _load(root)
  message = str(error.value)
  assert message.startswith("4 image file(s) cannot be decoded")
  for name in ("digit_0/empty.png", "digit_1/garbage.jpg", "digit_1/truncated.png", "digit_0/truncated.jpg"):
    assert name in message
  assert "Remove or replace them." in message


def test_non_image_files_are_named(tmp_path):
  root = _make_folder(tmp_path / "d", labels=(0, 1), per_label=3)
  (root / "digit_0" / "notes.txt").write_text("hello")
  (root / "digit_1" / "nested").mkdir()
  with pytest.raises(DataError) as error:
    _load(root)
  message = str(error.value)
  assert "2 entries that are not images" in message
  assert "digit_0/notes.txt" in message and "digit_1/nested/" in message
  assert "Move or delete them" in message


def test_a_single_class_is_an_error(tmp_path):
  root = _make_folder(tmp_path / "d", labels=(7,), per_label=5)
  with pytest.raises(DataError, match=r"1 class\(es\) \(digit_7\); a classifier needs at least 2"):
    _load(root)


def test_test_label_missing_from_train_is_an_error(tmp_path):
  _make_folder(tmp_path / "train", labels=(0, 1), per_label=3)
  _make_folder(tmp_path / "test", labels=(0, 2), per_label=2)
  with pytest.raises(DataError, match="digit_2 in .*test have no counterpart in .*train"):
    _load(tmp_path)


def test_images_outside_label_folders_are_an_error(tmp_path):
  root = _make_folder(tmp_path / "d", labels=(0, 1), per_label=3)
  _write(root / "stray.png", _digit(0))
  with pytest.raises(DataError, match="outside any label folder"):
    _load(root)


def test_split_folders_without_train_are_an_error(tmp_path):
  _make_folder(tmp_path / "test", labels=(0, 1), per_label=3)
  with pytest.raises(DataError, match="no train/"):
    _load(tmp_path)


def test_16_bit_grey_pngs_are_scaled_as_the_edge_runtime_scales_them(tmp_path):
  from edge.image_loader import to_8bit_image  # pylint: disable=g-import-not-at-top
  root = _make_folder(tmp_path / "wide", labels=(0, 1), per_label=10)
  wide = (_digit(3).astype(np.uint16) * 257)  # 0..65535
  Image.fromarray(wide).save(root / "digit_0" / "wide.png")  # a 16-bit grey PNG
  dataset = _load(root, validation_fraction=0.0, test_fraction=0.2)
  expected = np.asarray(to_8bit_image(Image.open(root / "digit_0" / "wide.png"), 1))
  np.testing.assert_array_equal(expected, _digit(3))  # the high byte: 8-bit values come back exactly
  images = np.concatenate([dataset.split_arrays(split)[0] for split in ("train", "test")])
  assert any(np.array_equal(image[..., 0], expected) for image in images)
  assert not any(image.min() == 255 for image in images)  # nothing clipped to white
