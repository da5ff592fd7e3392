"""The serving SavedModel: signatures on raw inputs, named outputs, and atomic publication for TF Serving.

Signatures (every one returns `logits` float32, `probabilities` float32, `class_ids` int64 and `classes` string):
  image models  `serving_default(pixels)`: uint8 `(batch, H, W, C)` pixels, as in training.
                `serving_bytes(image_bytes)`: `(batch,)` encoded PNG/JPEG/BMP/GIF files, decoded to C channels (a GIF
                gives its first frame) and, when their size differs, resized to H x W (bilinear with antialiasing,
                close to the Pillow resize the training images went through), then rounded to uint8. A 16-bit PNG
                gives the high byte of each value, as `edge.image_loader.to_8bit_image` does for the edge runtime
                and the training images. Unlike the training decoder, transparency is dropped rather than
                flattened onto black.
  text models   `serving_default(text)`: `(batch,)` raw strings, tokenized inside by a `TextVectorization` over the
                training vocabulary, same sequence length.
                `serving_token_ids(token_ids)`: int32 `(batch, sequence_length)` token ids.

Layout: `<serving_root>/<model_name>/<version>/`, the integer version directories TF Serving polls; how a version
is staged and published is `export/serving/serving_versions.py`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from tfmodels.preprocessing.text_vectorizer import load_vectorizer, token_ids

IMAGE_SIGNATURES = ("serving_default", "serving_bytes")
TEXT_SIGNATURES = ("serving_default", "serving_token_ids")


def signature_names(kind: str) -> tuple[str, ...]:
  """The signatures of a serving SavedModel for an `image` or `text` model."""
  return IMAGE_SIGNATURES if kind == "image" else TEXT_SIGNATURES


def write_serving_saved_model(model: keras.Model, path: str, *, kind: str, feature_shape: Sequence[int],
                              label_names: Sequence[str], vocabulary_path: str = "", sequence_length: int = 0) -> None:
  """Writes the serving SavedModel of `model` into `path` (a new or empty directory).

  Args:
    model: the trained classifier (uint8 pixels or int32 token ids in, float32 logits out).
    path: the directory to create.
    kind: `image` or `text`.
    feature_shape: `(H, W, C)` of an image model.
    label_names: class names; `classes` is `label_names[class_ids]`.
    vocabulary_path: the training vocabulary of a text model.
    sequence_length: token ids per text of a text model.
  """
  labels = tf.constant(list(label_names), dtype=tf.string)

  def outputs(logits):
    logits = tf.cast(logits, tf.float32)  # (batch, classes)
    class_ids = tf.argmax(logits, axis=-1, output_type=tf.int64)  # (batch,)
    return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1), "class_ids": class_ids,
            "classes": tf.gather(labels, class_ids)}

  # The endpoints track the variables they read; tracking the model as well would save every weight twice.
  archive = keras.export.ExportArchive()
  if kind == "image":
    height, width, channels = feature_shape

    def decode(image_bytes):
      # A 16-bit PNG decodes to the high byte of each value (libpng's strip-16), which is what
      # `edge.image_loader.to_8bit_image` keeps in training and on the edge: the same pixels in all three places.
      image = tf.io.decode_image(image_bytes, channels=channels, expand_animations=False)  # (h, w, C) uint8
      resized = tf.image.resize(image, (height, width), method="bilinear", antialias=True)  # (H, W, C) float32
      # Resizing to the same size returns the pixels unchanged, so same-size images stay exact.
      return tf.cast(tf.round(tf.clip_by_value(resized, 0.0, 255.0)), tf.uint8)

    def serve_pixels(pixels):
      # TF Serving checks a request's dtype, not its shape: an image of another size is refused here, by name,
      # rather than reshaped into the wrong number of examples.
      pixels = tf.ensure_shape(pixels, (None, height, width, channels))
      return outputs(model(pixels, training=False))

    def serve_bytes(image_bytes):
      pixels = tf.map_fn(decode, image_bytes, fn_output_signature=tf.TensorSpec((height, width, channels), tf.uint8))
      return outputs(model(pixels, training=False))

    archive.add_endpoint("serving_default", serve_pixels,
                         [tf.TensorSpec((None, height, width, channels), tf.uint8, name="pixels")])
    archive.add_endpoint("serving_bytes", serve_bytes, [tf.TensorSpec((None,), tf.string, name="image_bytes")])
  else:
    vectorizer = load_vectorizer(vocabulary_path, sequence_length)
    vectorizer(tf.constant([""]))  # builds it: the archive tracks (saves) only built layers and their tables
    archive.track(vectorizer)

    def serve_text(text):
      return outputs(model(token_ids(vectorizer, text), training=False))

    def serve_token_ids(token_ids):
      token_ids = tf.ensure_shape(token_ids, (None, sequence_length))  # a request of another length is refused
      return outputs(model(token_ids, training=False))

    archive.add_endpoint("serving_default", serve_text, [tf.TensorSpec((None,), tf.string, name="text")])
    archive.add_endpoint("serving_token_ids", serve_token_ids,
                         [tf.TensorSpec((None, sequence_length), tf.int32, name="token_ids")])
  archive.write_out(path, verbose=False)
