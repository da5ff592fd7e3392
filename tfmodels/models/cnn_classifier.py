"""Convolutional image classifier."""

from __future__ import annotations

import math

from collections.abc import Sequence

import keras
from keras import ops
import tensorflow as tf

from tfmodels.config import CnnConfig


@keras.saving.register_keras_serializable(package="tfmodels")
class CnnClassifier(keras.Model):
  """Classifies raw uint8 images with conv blocks and a dense head; outputs logits.

  Each block is a `kernel_size` x `kernel_size` 'same' convolution (then BatchNormalization when `batch_norm`), a
  ReLU and a 2x2 max-pool; then come flatten, an optional hidden dense ReLU layer, dropout and the output layer.
  Pixels are cast to float and scaled by 1/255 inside the model, so a served or converted model takes the same raw
  uint8 pixels as training does. The output layer computes in float32, so logits stay float32 under a mixed
  precision policy.

  The model is built on construction (it is called once on a symbolic `keras.Input` of `input_signature()`),
  so `summary()` and `count_params()` work at once.

  Args:
    num_classes: number of output logits.
    image_shape: `(height, width, channels)` of the input images.
    conv_filters: filters of each conv block.
    kernel_size: side of the square convolution kernels.
    dense_units: width of the hidden dense layer (0 = none).
    batch_norm: BatchNormalization after each convolution.
    dropout: dropout rate before the output layer.
    **kwargs: standard `keras.Model` arguments (`name`, `dtype`, ...).
  """

  def __init__(self, num_classes: int, image_shape: Sequence[int], conv_filters: Sequence[int] = CnnConfig.conv_filters,
               kernel_size: int = CnnConfig.kernel_size, dense_units: int = CnnConfig.dense_units,
               batch_norm: bool = CnnConfig.batch_norm, dropout: float = CnnConfig.dropout, **kwargs):
    super().__init__(**kwargs)
    self.num_classes = num_classes
    self.image_shape = tuple(image_shape)
    self.conv_filters = tuple(conv_filters)
    self.kernel_size = kernel_size
    self.dense_units = dense_units
    self.batch_norm = batch_norm
    self.dropout = dropout
    if len(self.image_shape) != 3:
      raise ValueError(f"image_shape must be (height, width, channels), got {self.image_shape}.")

    self.rescaling = keras.layers.Rescaling(1.0 / 255, name="rescaling")
    self.conv_layers = []
    for i, filters in enumerate(self.conv_filters):
      # BatchNormalization has its own offset, which makes the convolution's bias redundant.
      self.conv_layers.append(
          keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=not batch_norm, name=f"conv_{i}"))
      if batch_norm:
        # Momentum 0.9 rather than Keras' 0.99: on small data sets (digits: 40 steps an epoch) the moving statistics
        # used at inference would otherwise lag the weights for many epochs.
        self.conv_layers.append(keras.layers.BatchNormalization(momentum=0.9, name=f"batch_norm_{i}"))
      self.conv_layers.append(keras.layers.ReLU(name=f"relu_{i}"))
      # 'same' pooling rounds odd sizes up, so any image size survives any number of blocks.
      self.conv_layers.append(keras.layers.MaxPooling2D(2, padding="same", name=f"pool_{i}"))
    self.hidden = keras.layers.Dense(dense_units, activation="relu", name="hidden") if dense_units else None
    self.head_dropout = keras.layers.Dropout(dropout, name="head_dropout")
    self.logits = keras.layers.Dense(num_classes, dtype="float32", name="logits")
    spec = self.input_signature()
    self(keras.Input(batch_shape=spec.shape, dtype=spec.dtype.name))  # builds every layer

  def input_signature(self, batch_size: int | None = None) -> tf.TensorSpec:
    """The input the model expects: raw pixels `(batch, height, width, channels)`, uint8.

    Args:
      batch_size: static batch size, e.g. 1 for a TFLite signature; None = any.
    """
    return tf.TensorSpec((batch_size, *self.image_shape), tf.uint8, name="pixels")

  def call(self, inputs, training=False):
    x = self.rescaling(inputs)  # (batch, H, W, C), float in [0, 1]
    for layer in self.conv_layers:
      x = layer(x, training=training)
    # (batch, ceil(H / 2**n), ceil(W / 2**n), conv_filters[-1]) after n blocks
    # Flattened to the static width, with -1 for the batch: a constant shape, which XNNPACK runs inside its
    # partition. (Keras' Flatten reads the batch size from the tensor, and the converter turns that into SHAPE,
    # STRIDED_SLICE and PACK before the RESHAPE when the batch is free: four operators XNNPACK leaves out, cutting
    # its graph in two.)
    x = ops.reshape(x, (-1, math.prod(x.shape[1:])))  # (batch, features)
    if self.hidden is not None:
      x = self.hidden(x)  # (batch, dense_units)
    x = self.head_dropout(x, training=training)
    return self.logits(x)  # (batch, num_classes), float32

  def get_config(self):
    config = super().get_config()
    config.update({
        "num_classes": self.num_classes,
        "image_shape": self.image_shape,
        "conv_filters": self.conv_filters,
        "kernel_size": self.kernel_size,
        "dense_units": self.dense_units,
        "batch_norm": self.batch_norm,
        "dropout": self.dropout,
    })
    return config
