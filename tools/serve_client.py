r"""Asks a TF Serving server for predictions, a model's status or its metadata, over REST or gRPC.

  python tools/serve_client.py --server=http://localhost:8501 --model=digits_cnn --image=digit.png
  python tools/serve_client.py --grpc=localhost:8500 --model=rotten_tomatoes_transformer --label=stable \
      --text="a gorgeous, witty, seductive movie" --text="dull and lifeless"
  python tools/serve_client.py --server=http://localhost:8501 --model=digits_cnn --status      (or --metadata)
  python tools/serve_client.py --server=http://localhost:8501 --model=novels_transformer_lm --prompt="It was" \
      --max_tokens=200 --temperature=0.8 --top_k=40 --seed=1

Images go to the serving_bytes signature as encoded files (base64 in REST JSON), texts to serving_default; prints
one line per input with the class and its probability (--json: every output). --version or --label picks a version
(default: the newest); --format=columnar sends REST's columnar format. Prompts go to a language model's generate
signature, with the sampling settings for each (temperature 0 = greedy) and print the prompt and its continuation. Retries with backoff while nothing answers or
the server is UNAVAILABLE (--retries; --timeout is per request). The REST client needs no TensorFlow.
"""

import json

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_SERVER = flags.DEFINE_string("server", None, "REST API URL, e.g. http://localhost:8501.")
_GRPC = flags.DEFINE_string("grpc", None, "gRPC API HOST:PORT, e.g. localhost:8500.")
_MODEL = flags.DEFINE_string("model", None, "Model name in models.config, e.g. digits_cnn.", required=True)
_VERSION = flags.DEFINE_integer("version", None, "Model version (default: the newest served).")
_LABEL = flags.DEFINE_string("label", None, "Version label from models.config, e.g. stable.")
_SIGNATURE = flags.DEFINE_string("signature", None, "Signature (default: serving_bytes for images, else the "
                                 "model's default).")
_TEXT = flags.DEFINE_multi_string("text", [], "Text to classify (repeat for several).")
_IMAGE = flags.DEFINE_multi_string("image", [], "Image file (PNG/JPEG/BMP/GIF) to classify (repeat for several).")
_PROMPT = flags.DEFINE_multi_string("prompt", [], "Prompt for a language model to continue (repeat for several).")
_MAX_TOKENS = flags.DEFINE_integer("max_tokens", 100, "Characters to generate per prompt.")
_TEMPERATURE = flags.DEFINE_float("temperature", 0.0, "0 = greedy; > 0 samples.")
_TOP_K = flags.DEFINE_integer("top_k", 0, "Sample among the k most likely characters (0 = all).")
_TOP_P = flags.DEFINE_float("top_p", 1.0, "Sample among the most likely characters up to this probability mass.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the sampling (per prompt: equal seeds give equal text).")
_FORMAT = flags.DEFINE_enum("format", "row", ["row", "columnar"], "REST request format: instances or inputs.")
_STATUS = flags.DEFINE_bool("status", False, "Print the state of each version of the model.")
_METADATA = flags.DEFINE_bool("metadata", False, "Print the model's signatures: inputs and outputs, dtypes, shapes.")
_TIMEOUT = flags.DEFINE_float("timeout", 10.0, "Seconds to wait for each answer.")
_RETRIES = flags.DEFINE_integer("retries", 3, "Retries, with backoff, while the server is not up or UNAVAILABLE.",
                                lower_bound=0)
_JSON = flags.DEFINE_bool("json", False, "Print one JSON document.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  if bool(_SERVER.value) == bool(_GRPC.value):
    raise app.UsageError("Give --server=http://HOST:8501 (REST) or --grpc=HOST:8500 (gRPC): one of them.")
  kinds = [bool(_TEXT.value), bool(_IMAGE.value), bool(_PROMPT.value), _STATUS.value, _METADATA.value]
  if sum(kinds) != 1:
    raise app.UsageError("Give inputs (--text, --image or --prompt: one kind), or --status, or --metadata.")
  if _PROMPT.value and _MAX_TOKENS.value < 1:
    raise app.UsageError(f"--max_tokens={_MAX_TOKENS.value}: ask for at least 1 character.")
  if _GRPC.value and _FORMAT.value != "row":
    raise app.UsageError("--format is a REST option: gRPC sends tensors.")
  images = {}
  for path in _IMAGE.value:
    try:
      with open(path, "rb") as f:
        images[path] = f.read()
    except OSError as error:
      raise app.UsageError(f"--image={path}: {error.strerror or error}") from None
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from tfmodels.serving.model_target import ModelTarget  # pylint: disable=g-import-not-at-top
  from tfmodels.serving.retry_policy import RetryPolicy  # pylint: disable=g-import-not-at-top
  with cli.user_errors_exit():
    target = ModelTarget(_MODEL.value, _VERSION.value, _LABEL.value)
    options = {"timeout": _TIMEOUT.value, "retry": RetryPolicy(retries=_RETRIES.value)}
    if _SERVER.value:
      from tfmodels.serving.rest_client import RestClient  # pylint: disable=g-import-not-at-top
      client = RestClient(_SERVER.value, target, **options)
    else:
      from tfmodels.serving.grpc_client import GrpcClient  # pylint: disable=g-import-not-at-top
      client = GrpcClient(_GRPC.value, target, **options)
    if _STATUS.value:
      _print_status(client.status())
    elif _METADATA.value:
      _print_metadata(client.metadata())
    else:
      names = list(images) or _TEXT.value or _PROMPT.value
      inputs = list(images.values()) or _TEXT.value or _generate_inputs(_PROMPT.value)
      signature = _SIGNATURE.value or ("serving_bytes" if images else "generate" if _PROMPT.value else None)
      if _SERVER.value:
        outputs = client.predict(inputs, signature, request_format=_FORMAT.value)
      else:
        outputs = client.predict(inputs, signature)
      _print_predictions(names, outputs)


def _generate_inputs(prompts: list) -> dict:
  """The inputs of a language model's generate signature: one row per prompt, each with the sampling settings."""
  count = len(prompts)
  return {"prompt": prompts, "max_tokens": [_MAX_TOKENS.value] * count, "temperature": [_TEMPERATURE.value] * count,
          "top_k": [_TOP_K.value] * count, "top_p": [_TOP_P.value] * count, "seed": [_SEED.value] * count}


def _print_status(versions: list) -> None:
  if _JSON.value:
    print(json.dumps(versions, indent=2))
    return
  for entry in versions:
    print(f"{_MODEL.value} version {entry['version']}: {entry['state']}"
          + (f" ({entry['error']})" if entry["error"] else ""))


def _print_metadata(metadata: dict) -> None:
  if _JSON.value:
    print(json.dumps(metadata, indent=2))
    return
  print(f"{metadata['model']} version {metadata['version']}")
  for name, signature in metadata["signatures"].items():
    described = {side: ", ".join(f"{alias} {info['dtype']} {info['shape']}" for alias, info in tensors.items())
                 for side, tensors in signature.items()}
    print(f"  {name}({described['inputs']}) -> {described['outputs']}")


def _print_predictions(names: list, outputs: dict) -> None:
  if _JSON.value:
    print(json.dumps([{"input": name, **{key: values[i].tolist() for key, values in outputs.items()}}
                      for i, name in enumerate(names)], indent=2, ensure_ascii=False))
    return
  for i, name in enumerate(names):
    if "text" in outputs:
      print(name + _text(outputs["text"][i]))
    elif "classes" in outputs and "probabilities" in outputs:
      print(f"{name}: {outputs['classes'][i]} {outputs['probabilities'][i].max():.3f}")
    else:
      print(f"{name}: " + ", ".join(f"{key}={values[i].tolist()}" for key, values in outputs.items()))


def _text(value) -> str:
  return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


if __name__ == "__main__":
  app.run(main)
