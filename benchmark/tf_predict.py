r"""TensorFlow's way from a new process to the first prediction, the reference of the edge runtime's cold start.

  python -m benchmark.tf_predict --saved_model=OUT/serving/NAME/1 image.png
  python -m benchmark.tf_predict --saved_model=OUT/serving/NAME/1 --text="a gripping film"

Loads the serving SavedModel with `tf.saved_model.load` and calls its signature on the raw input (`serving_bytes`
for an image file, `serving_default` for a text); prints `input: label probability` like `tools/predict.py`.
"""

from absl import app, flags

_SAVED_MODEL = flags.DEFINE_string("saved_model", None, "A serving SavedModel version directory.", required=True)
_TEXT = flags.DEFINE_string("text", None, "Text to classify (else give an image path as the argument).")


def main(argv):
  if bool(argv[1:]) == bool(_TEXT.value):
    raise app.UsageError("Give one image path as the argument or one text with --text.")
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  loaded = tf.saved_model.load(_SAVED_MODEL.value)
  if _TEXT.value:
    item, outputs = _TEXT.value, loaded.signatures["serving_default"](text=tf.constant([_TEXT.value]))
  else:
    item = argv[1]
    with open(item, "rb") as image:
      outputs = loaded.signatures["serving_bytes"](image_bytes=tf.constant([image.read()]))
  label = outputs["classes"][0].numpy().decode("utf-8")
  print(f"{item}: {label} {float(tf.reduce_max(outputs['probabilities'][0])):.3f}", flush=True)
  return 0


if __name__ == "__main__":
  app.run(main)
