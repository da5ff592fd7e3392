r"""Classifies images or texts with an exported `.tflite` model on the edge runtime (LiteRT; no TensorFlow needed).

  python tools/predict.py --model=OUT/tflite/digits_cnn_full_int8.tflite photo1.png photo2.jpg

Texts:   python tools/predict.py --model=OUT/tflite/rt_transformer_float32.tflite --text="a gripping film" --text="dull"
Options: --top_k=3 labels per input, --json for machine-readable output, --num_threads=N, --metadata=PATH (default:
NAME_MODE.json beside NAME_MODE.tflite). Needs only requirements-edge.txt.
"""

import json

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_MODEL = flags.DEFINE_string("model", None, "Exported .tflite file.", required=True)
_METADATA = flags.DEFINE_string("metadata", None, "Its metadata JSON (default: beside the model, same name).")
_TEXT = flags.DEFINE_multi_string("text", [], "Text to classify (repeat for several). Images: give paths as arguments.")
_TOP_K = flags.DEFINE_integer("top_k", 3, "Labels shown per input, most probable first.", lower_bound=1)
_NUM_THREADS = flags.DEFINE_integer("num_threads", None, "CPU threads of the interpreter.", lower_bound=1)
_JSON = flags.DEFINE_bool("json", False, "Print one JSON document instead of text lines.")


def main(argv):
  images, texts = argv[1:], _TEXT.value
  if bool(images) == bool(texts):
    raise app.UsageError("Give image paths as arguments or texts with --text (one kind, at least one input).")
  from edge import EdgeClassifier  # pylint: disable=g-import-not-at-top
  from tfmodels import cli  # pylint: disable=g-import-not-at-top  (imports nothing of TensorFlow)
  with cli.user_errors_exit():
    classifier = EdgeClassifier(_MODEL.value, _METADATA.value, num_threads=_NUM_THREADS.value)
    if images:
      predictions = classifier.classify_images(images, top_k=_TOP_K.value)
    else:
      predictions = classifier.classify_texts(texts, top_k=_TOP_K.value)
  inputs = images or texts
  if _JSON.value:
    print(json.dumps([{"input": item, "predictions": [{"label": label, "probability": probability}
                                                      for label, probability in ranked]}
                      for item, ranked in zip(inputs, predictions)], indent=2, ensure_ascii=False))
  else:
    for item, ranked in zip(inputs, predictions):
      print(f"{item}: " + ", ".join(f"{label} {probability:.3f}" for label, probability in ranked))
  return 0


if __name__ == "__main__":
  app.run(main)
