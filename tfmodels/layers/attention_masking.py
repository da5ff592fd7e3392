"""Attention masking that full-integer quantization survives, shared by the cached path and the TFLite graphs.

Keras fills masked attention scores with a huge negative number before the softmax (-1e9 through its `Softmax`
layer, -0.7 x the float32 maximum in `ops.dot_product_attention`). In `full_int8` the softmax input is one int8
tensor whose range the calibrator takes from everything it sees, masked scores included: its scale became 3.9e6, every
real score rounded to zero and attention turned uniform (a trained novels transformer: perplexity 4.17 -> 15.1, 36 %
top-1 agreement with Keras).

`masked_softmax` fills each masked score with its row's lowest score minus `MASK_MARGIN` instead. A masked position
then gets at most e^-16 (1e-7) of the weight of the row's best before it is zeroed, so float results stay within
1e-4 of Keras' masking, while the int8 range spans only the real scores and the margin.

With `multiply=True` the mask is applied by multiplying with 0 and 1 (exact in float) instead of `where`: TFLite's
`SELECT_V2` has no XNNPACK kernel, and two of them per block cut a decode step into 7 delegate partitions. A mask
the converter folds into a constant (a prefill's causal mask) stays boolean: as floats it would be four times the
bytes in the file.

`presence_factor` gives a 0/1 factor from token ids or lengths as a lookup, for the same reason: quantized, it stays
int8.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops

# How far below a row's lowest attention score its masked positions go: exp(-16) ~ 1e-7.
MASK_MARGIN = 16.0


def masked_softmax(scores, mask, multiply: bool = False):
  """Softmax of `scores` `(..., S)` over the keys where `mask` (broadcastable, True = may attend) holds.

  As Keras' `Softmax` layer, a query that may attend nothing (padding) gets all-zero weights. `multiply` applies the
  mask with arithmetic instead of `where` (the same values; see the module docstring).
  """
  floor = ops.min(scores, axis=-1, keepdims=True) - MASK_MARGIN  # (..., 1)
  if multiply:
    keep = ops.cast(mask, scores.dtype)  # 1 = may attend, 0 = masked
    return ops.softmax(scores * keep + floor * (1.0 - keep), axis=-1) * keep
  mask = ops.cast(mask, "bool")
  return ops.where(mask, ops.softmax(ops.where(mask, scores, floor), axis=-1), 0.0)


def presence_factor(counts, dtype):
  """1 where the int `counts` (never negative: token ids, lengths) are above 0, else 0, as `dtype`.

  Looked up, not cast from a comparison: row `min(count, 1)` of the table `(0, 1)`, which full-integer quantization
  turns into an int8 lookup, where a cast from a boolean would leave a float tensor (CAST, QUANTIZE) in an
  integer-only file. `tf.gather`, not Keras' `ops.take`, which wraps negative indices with three more operators.
  """
  return tf.gather(tf.constant([0.0, 1.0], dtype), tf.minimum(counts, 1))
