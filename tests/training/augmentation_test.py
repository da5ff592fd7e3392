"""Tests of tfmodels/training/augmentation.py on real images (the scikit-learn digits) and token ids."""

import numpy as np
import tensorflow as tf

from tfmodels.config import DataConfig
from tfmodels.training.augmentation import augmentation
from tests.testing.model_test_case import digits_pixels

SEED = tf.constant([3, 7], tf.int64)


def digits_batch(size: int = 64, side: int = 24) -> tf.Tensor:
  """Digits upscaled to `side` x `side` (the warp needs room to move)."""
  pixels = tf.image.resize(digits_pixels()[0][:size], (side, side), method="nearest")
  return tf.cast(pixels, tf.uint8)


def test_token_dropout_replaces_words_by_oov_and_keeps_padding():
  ids = tf.constant(np.tile(np.r_[np.arange(2, 52), np.zeros(14)], (64, 1)).astype(np.int32))  # 50 words, 14 pads
  augment = augmentation(DataConfig(token_dropout=0.25), "text")
  dropped = augment(ids, tf.constant([1, 2], tf.int64)).numpy()
  assert (dropped[:, 50:] == 0).all()
  words = dropped[:, :50]
  assert set(np.unique(words[words != ids.numpy()[:, :50]])) == {1}
  assert 0.2 < (words == 1).mean() < 0.3
  np.testing.assert_array_equal(dropped, augment(ids, tf.constant([1, 2], tf.int64)).numpy())  # seeded
  assert augmentation(DataConfig(), "text") is None


def test_nothing_is_augmented_unless_asked_and_only_inputs_of_its_kind():
  assert augmentation(DataConfig(), "image") is None
  assert augmentation(DataConfig(token_dropout=0.1), "image") is None  # a text setting does not touch pixels
  assert augmentation(DataConfig(random_zoom=0.1, random_flip="horizontal"), "text") is None
  assert augmentation(DataConfig(token_dropout=0.1), "corpus") is None


def test_random_flip_mirrors_images():
  pixels = tf.constant(np.arange(64 * 3, dtype=np.uint8).reshape(64, 1, 3, 1))
  flipped = augmentation(DataConfig(random_flip="horizontal"), "image")(pixels, tf.constant([0, 0], tf.int64)).numpy()
  mirrored = (flipped == pixels.numpy()[:, :, ::-1]).all(axis=(1, 2, 3))
  unchanged = (flipped == pixels.numpy()).all(axis=(1, 2, 3))
  assert (mirrored | unchanged).all() and 10 < mirrored.sum() < 54


def test_translation_moves_each_image_by_its_own_whole_pixel_shift_within_the_limit():
  pixels = digits_batch()
  shifted = augmentation(DataConfig(random_translation=0.125), "image")(pixels, SEED).numpy()
  assert shifted.dtype == np.uint8 and shifted.shape == pixels.shape
  original = pixels.numpy().astype(np.float64)
  moves = set()
  for image, moved in zip(original, shifted.astype(np.float64)):
    # The shift that explains the moved image best, over every shift up to 4 pixels (24 * 0.125 = 3).
    errors = {(dy, dx): np.abs(np.roll(image, (dy, dx), axis=(0, 1))[4:-4, 4:-4] - moved[4:-4, 4:-4]).mean()
              for dy in range(-4, 5) for dx in range(-4, 5)}
    (dy, dx), error = min(errors.items(), key=lambda item: item[1])
    assert abs(dy) <= 3 and abs(dx) <= 3
    assert error < 0.5 * np.abs(image[4:-4, 4:-4] - moved[4:-4, 4:-4]).mean() + 1e-9 or (dy, dx) == (0, 0)
    moves.add((dy, dx))
  assert len(moves) > 10  # every image draws its own shift


def test_rotation_and_zoom_keep_the_ink_and_its_centre_and_are_seeded():
  pixels = digits_batch(side=32)
  augment = augmentation(DataConfig(random_rotation=15, random_zoom=0.1), "image")
  warped = augment(pixels, SEED).numpy().astype(np.float64)
  np.testing.assert_array_equal(warped, augment(pixels, SEED).numpy())
  assert not np.array_equal(warped, augment(pixels, tf.constant([3, 8], tf.int64)).numpy())
  original = pixels.numpy().astype(np.float64)
  ink_ratio = warped.sum(axis=(1, 2, 3)) / original.sum(axis=(1, 2, 3))
  assert ((0.7 < ink_ratio) & (ink_ratio < 1.35)).all()  # zoom by 0.9-1.1 scales the ink by 0.81-1.21
  rows = np.arange(32)[None, :, None, None]
  centre = lambda images: (images * rows).sum(axis=(1, 2, 3)) / images.sum(axis=(1, 2, 3))
  assert np.abs(centre(warped) - centre(original)).max() < 3  # about the centre: no shift
  assert (np.abs(warped - original).mean(axis=(1, 2, 3)) > 1).mean() > 0.9  # nearly every image moved


def test_contrast_scales_about_each_images_mean_within_the_limit():
  pixels = digits_batch()
  changed = augmentation(DataConfig(random_contrast=0.2), "image")(pixels, SEED).numpy().astype(np.float64)
  original = pixels.numpy().astype(np.float64)
  spread = lambda images: images.std(axis=(1, 2, 3))
  ratio = spread(changed) / spread(original)
  assert ((0.78 < ratio) & (ratio < 1.22)).all() and ratio.std() > 0.03
  assert changed.min() >= 0 and changed.max() <= 255
