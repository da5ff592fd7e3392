r"""Continues a prompt with a trained language model: greedy, or sampled reproducibly with a seed.

  python tools/generate.py --model_dir=runs/novels_transformer_lm --prompt="It was a dark" --max_tokens=200

Sampling: --temperature=0.8 --top_k=40 --top_p=0.95 --seed=1 (temperature 0, the default, is greedy decoding).
On the edge runtime (LiteRT, no TensorFlow): --tflite=OUT/tflite/novels_transformer_lm_float32.tflite instead of
--model_dir: the file's prefill and decode signatures, one step per character. --json prints the prompt, the text and
the token ids. --reprefill_length=N: characters read again when the window is full (default half a window; the
window length gives full-window decoding, one whole window per character past it).
"""

import json
import sys

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_MODEL_DIR = flags.DEFINE_string("model_dir", None, "A trained language-model directory (runs the Keras model).")
_TFLITE = flags.DEFINE_string("tflite", None, "An exported next-token .tflite file (runs on LiteRT, no TensorFlow).")
_METADATA = flags.DEFINE_string("metadata", None, "Metadata JSON of --tflite (default: beside it, same name).")
_PROMPT = flags.DEFINE_string("prompt", None, "The text to continue.", required=True)
_MAX_TOKENS = flags.DEFINE_integer("max_tokens", 200, "Characters to generate.")
_TEMPERATURE = flags.DEFINE_float("temperature", 0.0, "0 = greedy; > 0 samples (lower is more conservative).")
_TOP_K = flags.DEFINE_integer("top_k", 0, "Sample among the k most likely characters only (0 = all).")
_TOP_P = flags.DEFINE_float("top_p", 1.0, "Sample among the most likely characters up to this probability mass.")
_SEED = flags.DEFINE_integer("seed", None, "Seed of the sampling: equal seeds give equal text.")
_NUM_THREADS = flags.DEFINE_integer("num_threads", None, "CPU threads of the LiteRT interpreter.", lower_bound=1)
_REPREFILL_LENGTH = flags.DEFINE_integer(
    "reprefill_length", None, "Characters read again when the context window is full (default: half a window).",
    lower_bound=1)
_JSON = flags.DEFINE_bool("json", False, "Print one JSON document instead of the text.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  if (_MODEL_DIR.value is None) == (_TFLITE.value is None):
    raise app.UsageError("Give either --model_dir (Keras) or --tflite (edge runtime).")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top  (imports nothing of TensorFlow)
  with cli.user_errors_exit():
    if _TFLITE.value:
      from edge.edge_language_model import EdgeLanguageModel  # pylint: disable=g-import-not-at-top
      generator = EdgeLanguageModel(_TFLITE.value, _METADATA.value, num_threads=_NUM_THREADS.value).generator(
          _REPREFILL_LENGTH.value)
    else:
      from tfmodels.generation import KerasNextToken  # pylint: disable=g-import-not-at-top
      from tfmodels.training.model_artifact import ModelArtifact  # pylint: disable=g-import-not-at-top
      generator = KerasNextToken.generator(ModelArtifact.load(_MODEL_DIR.value), _REPREFILL_LENGTH.value)
    generation = generator.generate(_PROMPT.value, _MAX_TOKENS.value, _TEMPERATURE.value, _TOP_K.value,
                                    _TOP_P.value, _SEED.value)
  if generation.unknown_characters:
    print(f"warning: {generation.unknown_characters} prompt character(s) are not in the vocabulary and were read as "
          "unknown.", file=sys.stderr)
  if _JSON.value:
    print(json.dumps({"prompt": generation.prompt, "text": generation.text, "token_ids": list(generation.token_ids)},
                     ensure_ascii=False, indent=2))
  else:
    print(generation.prompt + generation.text)
  return 0


if __name__ == "__main__":
  app.run(main)
