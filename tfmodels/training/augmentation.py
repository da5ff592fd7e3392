"""Training-time augmentation, applied to batches in the input pipeline.

It is stateless and seeded by (seed + epoch, batch index), so a resumed run augments exactly as the original run
would have; and it lives outside the model, so nothing of it reaches a saved, served or converted model.
"""

from __future__ import annotations

from collections.abc import Callable
import math

import tensorflow as tf

from tfmodels.config import DataConfig

Augment = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def augmentation(data: DataConfig, kind: str) -> Augment | None:
  """Returns `(batch of model inputs, seed: int64 (2,)) -> augmented batch` for what `data` asks of inputs of `kind`
  (`image`, `text` or `corpus`), or None.

  Images (uint8 `(batch, height, width, channels)`): a horizontal flip, then one projective warp per image that
  combines the random rotation, zoom and translation (bilinear, edges repeat the border pixels), then a random
  contrast. Token ids: token dropout.
  """
  if kind != "image":
    return _token_dropout(data.token_dropout) if data.token_dropout and kind == "text" else None
  steps = []
  if data.random_flip == "horizontal":
    steps.append(lambda pixels, seed: tf.image.stateless_random_flip_left_right(pixels, seed=seed))
  if data.random_translation or data.random_zoom or data.random_rotation:
    steps.append(_warp(data.random_translation, data.random_zoom, data.random_rotation))
  if data.random_contrast:
    steps.append(_contrast(data.random_contrast))
  if not steps:
    return None

  def augment(pixels, seed):
    for index, step in enumerate(steps):
      # Each step draws from its own stream; the first keeps the pipeline's seed as it is.
      pixels = step(pixels, seed if index == 0 else tf.random.experimental.stateless_fold_in(seed, index))
    return pixels
  return augment


def _token_dropout(rate: float) -> Augment:
  def drop_tokens(ids, seed):
    dropped = tf.random.stateless_uniform(tf.shape(ids), seed=seed) < rate
    return tf.where(dropped & (ids > 1), tf.ones_like(ids), ids)  # 0 = padding and 1 = OOV stay as they are
  return drop_tokens


def _uniform(seed, index: int, batch, limit: float) -> tf.Tensor:
  """(batch,) float32 in [-limit, limit), from stream `index` of `seed`."""
  return tf.random.stateless_uniform([batch], seed=tf.random.experimental.stateless_fold_in(seed, index),
                                     minval=-limit, maxval=limit)


def _warp(translation: float, zoom: float, rotation_degrees: float) -> Augment:
  def warp(pixels, seed):
    dtype = pixels.dtype
    shape = tf.shape(pixels)  # (batch, height, width, channels)
    batch, height, width = shape[0], tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)
    angle = _uniform(seed, 0, batch, rotation_degrees * math.pi / 180)
    scale = 1.0 + _uniform(seed, 1, batch, zoom)
    shift_x = _uniform(seed, 2, batch, translation) * width
    shift_y = _uniform(seed, 3, batch, translation) * height
    # The transform maps each output pixel (x, y) to the input point it is read from: about the centre (cx, cy),
    # rotated by -angle and scaled by 1 / scale, then shifted by -(shift_x, shift_y).
    center_x, center_y = (width - 1) / 2, (height - 1) / 2
    a0, a1 = tf.cos(angle) / scale, tf.sin(angle) / scale
    b0, b1 = -tf.sin(angle) / scale, tf.cos(angle) / scale
    a2 = center_x - a0 * center_x - a1 * center_y - shift_x
    b2 = center_y - b0 * center_x - b1 * center_y - shift_y
    zeros = tf.zeros_like(a0)
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)  # (batch, 8)
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.cast(pixels, tf.float32), transforms=transforms, output_shape=shape[1:3], fill_value=0.0,
        interpolation="BILINEAR", fill_mode="NEAREST")
    return _like(warped, dtype)
  return warp


def _contrast(strength: float) -> Augment:
  def contrast(pixels, seed):
    dtype = pixels.dtype
    factor = 1.0 + _uniform(seed, 0, tf.shape(pixels)[0], strength)  # (batch,)
    values = tf.cast(pixels, tf.float32)
    mean = tf.reduce_mean(values, axis=[1, 2], keepdims=True)  # (batch, 1, 1, channels)
    return _like((values - mean) * factor[:, None, None, None] + mean, dtype)
  return contrast


def _like(values: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
  """`values` (float32) in `dtype`: integer pixels are rounded and kept within their range."""
  if dtype.is_integer:
    return tf.cast(tf.clip_by_value(tf.round(values), dtype.min, dtype.max), dtype)
  return tf.cast(values, dtype)
