"""The exported versions, checked with TensorFlow's own `saved_model_cli`, run as a user runs it.

`show --all` must list the signatures, dtypes and shapes README "Deploy" documents; `run` on a real test example
must give the Keras model's class.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

# Installed beside the Python that runs the tests.
_SAVED_MODEL_CLI = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")


@pytest.fixture(scope="module")
def cli_outputs(serving_dir, examples, tmp_path_factory) -> dict[str, str]:
  """The output of `saved_model_cli show --all` and `run` for both models, the four commands run side by side."""
  pixels = str(tmp_path_factory.mktemp("saved_model_cli") / "pixels.npy")
  np.save(pixels, examples["digits_cnn"].features[:1])
  digits = os.path.join(serving_dir, "digits_cnn", "1")
  reviews = os.path.join(serving_dir, "rotten_tomatoes_transformer", "1")
  text = examples["rotten_tomatoes_transformer"].features[0]
  run = ["run", "--tag_set", "serve", "--signature_def", "serving_default"]
  commands = {
      "show digits": ["show", "--dir", digits, "--all"],
      "show reviews": ["show", "--dir", reviews, "--all"],
      "run digits": [*run, "--dir", digits, "--inputs", f"pixels={pixels}"],
      "run reviews": [*run, "--dir", reviews, "--input_exprs", f"text=[{text!r}]"],
  }
  environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
  processes = {name: subprocess.Popen([_SAVED_MODEL_CLI, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=environment) for name, arguments in commands.items()}
  outputs = {}
  for name, process in processes.items():
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, f"{name}: {stderr[-2000:]}"
    outputs[name] = stdout
  return outputs


def _signatures(show_output: str) -> dict[str, dict[str, tuple[str, str]]]:
  """{signature: {"inputs['x']" or "outputs['y']": (dtype, shape)}} from `saved_model_cli show --all`."""
  found = {}
  for block in re.split(r"\nsignature_def\['", show_output)[1:]:
    name = block.split("'", 1)[0]
    found[name] = {f"{side}['{key}']": (dtype, shape) for side, key, dtype, shape in re.findall(
        r"(inputs|outputs)\['([^']+)'\] tensor_info:\s+dtype: (\w+)\s+shape: ([^\n]+)", block)}
  return found


_OUTPUTS = {"outputs['logits']": "DT_FLOAT", "outputs['probabilities']": "DT_FLOAT",
            "outputs['class_ids']": "DT_INT64", "outputs['classes']": "DT_STRING"}


def test_show_lists_the_documented_image_signatures(cli_outputs, examples):
  signatures = _signatures(cli_outputs["show digits"])
  assert {"serving_default", "serving_bytes"} <= set(signatures)
  classes = len(examples["digits_cnn"].label_names)
  assert signatures["serving_default"]["inputs['pixels']"] == ("DT_UINT8", "(-1, 8, 8, 1)")
  assert signatures["serving_bytes"]["inputs['image_bytes']"] == ("DT_STRING", "(-1)")
  for signature in ("serving_default", "serving_bytes"):
    for key, dtype in _OUTPUTS.items():
      assert signatures[signature][key] == (dtype, f"(-1, {classes})" if dtype == "DT_FLOAT" else "(-1)")
  assert "Method name is: tensorflow/serving/predict" in cli_outputs["show digits"]


def test_show_lists_the_documented_text_signatures(cli_outputs):
  signatures = _signatures(cli_outputs["show reviews"])
  assert signatures["serving_default"]["inputs['text']"] == ("DT_STRING", "(-1)")
  assert signatures["serving_token_ids"]["inputs['token_ids']"] == ("DT_INT32", "(-1, 32)")  # sequence_length 32
  for signature in ("serving_default", "serving_token_ids"):
    assert {key: dtype for key, (dtype, _) in signatures[signature].items() if key.startswith("outputs")} == _OUTPUTS


@pytest.mark.parametrize("model, name", [("digits", "digits_cnn"), ("reviews", "rotten_tomatoes_transformer")])
def test_run_gives_the_keras_class(cli_outputs, examples, model, name):
  classes = re.search(r"Result for output key classes:\n\[b'([^']*)'\]", cli_outputs[f"run {model}"])
  assert classes and classes.group(1) == examples[name].classes[0]
