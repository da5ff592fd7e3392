"""Layer normalization written as `(x - mean) * scale + beta`, so full-integer quantization keeps it integer."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfmodels")
class CenteredLayerNormalization(keras.layers.LayerNormalization):
  """`keras.layers.LayerNormalization` over the last axis, computed from the centred input.

  Keras computes `x * inv + (-mean * inv + beta)`: its `-mean` converts to TFLite's NEG, which has no int8 kernel,
  so a `full_int8` file leaves int8 for it at every normalization (DEQUANTIZE, NEG, QUANTIZE), and its variance
  converts to SQUARED_DIFFERENCE, which XNNPACK has no int8 kernel for. This layer computes
  `(x - mean) * rsqrt(mean((x - mean)^2) + epsilon) * gamma + beta`: the same function with the same weights
  (`gamma`, `beta`; a Keras LayerNormalization's weights load into it), from SUB, MUL, MEAN, ADD and RSQRT only, and
  two operators fewer. Like Keras, it computes in at least float32 under a mixed precision policy.

  Only the last axis and the default centring and scaling are written this way; any other setting computes as Keras.
  """

  def call(self, inputs):
    axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
    rank = len(inputs.shape)
    if self.rms_scaling or not (self.center and self.scale) or len(axes) != 1 or axes[0] % rank != rank - 1:
      return super().call(inputs)
    half = keras.backend.standardize_dtype(inputs.dtype) in ("float16", "bfloat16")
    compute_dtype = "float32" if half else inputs.dtype
    x = ops.cast(inputs, compute_dtype)
    centered = x - ops.mean(x, axis=-1, keepdims=True)
    variance = ops.mean(centered * centered, axis=-1, keepdims=True)
    scale = ops.rsqrt(variance + self.epsilon) * ops.cast(self.gamma, compute_dtype)
    outputs = centered * scale + ops.cast(self.beta, compute_dtype)
    return ops.cast(outputs, self.compute_dtype)
