"""Runs an exported next-token `.tflite` language model with LiteRT: text generation without TensorFlow."""

from __future__ import annotations

import os

import numpy as np

from edge.char_vocabulary import PADDING, CharVocabulary
from edge.edge_error import EdgeError
from edge.text_generator import TextGenerator
from edge.tflite_model import TfliteModel


class EdgeLanguageModel:
  """Continues texts with an exported `.tflite` language model and the metadata written beside it.

  The model reads one window of `sequence_length` token ids, right-padded with 0, and gives the logits of the token
  after the last real one (`next_token_logits`); the character vocabulary comes from the metadata, so the two files
  are all it needs. `generator()` runs the generation loop the Keras model runs (`TextGenerator`: greedy, or sampled
  with temperature, top-k, top-p and a seed), so with a float32 file and greedy decoding both give the same text.

  Args:
    model_path: the `.tflite` file (`OUT/tflite/NAME_MODE.tflite`).
    metadata_path: its metadata; default: `NAME_MODE.json` beside it.
    num_threads: CPU threads for the interpreter; default: LiteRT's choice.

  Raises:
    EdgeError: a file is missing or unusable, or the model is not a language model.
  """

  def __init__(self, model_path: str | os.PathLike, metadata_path: str | os.PathLike | None = None,
               num_threads: int | None = None):
    model = TfliteModel(model_path, metadata_path, num_threads)
    self.metadata = model.metadata
    if self.metadata.task != "language_model":
      raise EdgeError(f"{os.fspath(model_path)} is a {self.metadata.task.replace('_', ' ')} model, not a language "
                      "model: classify with it (tools/predict.py), or give a .tflite file exported from a model "
                      "trained with --model=transformer_lm or --model=lstm_lm.")
    self.vocabulary = CharVocabulary(self.metadata.language_model.vocabulary)
    self.sequence_length = self.metadata.language_model.sequence_length
    self._interpreter = model.interpreter
    self._input_index = model.input_details["index"]
    self._output_index = model.output_details["index"]
    batch = self.metadata.input.shape[0]
    if batch == -1:  # any batch size: one window at a time
      self._interpreter.resize_tensor_input(self._input_index, [1, self.sequence_length])
      self._interpreter.allocate_tensors()
    elif batch != 1:
      raise EdgeError(f"{os.fspath(model_path)} takes {batch} windows at once; a next-token model for generation "
                      "takes one (shape [1, sequence_length]). Re-export it.")

  def next_token_logits(self, window: np.ndarray, length: int) -> np.ndarray:
    """The float32 logits `(vocab_size,)` of the token after the first `length` ids of `window`.

    Args:
      window: int32 `(sequence_length,)`: `length` real token ids (none of them 0), then padding (0).
      length: real tokens in the window, 1..sequence_length.

    Raises:
      EdgeError: the window is not shaped so (the model finds the length from the padding).
    """
    window = np.asarray(window)
    if window.shape != (self.sequence_length,) or not np.issubdtype(window.dtype, np.integer):
      raise EdgeError(f"A window is {self.sequence_length} integer token ids; got {window.dtype} values of shape "
                      f"{window.shape}.")
    if not 1 <= length <= self.sequence_length or np.count_nonzero(window[:length] == PADDING) or np.count_nonzero(
        window[length:] != PADDING):
      raise EdgeError(f"A window holds its {length} real token ids first (none of them the padding id "
                      f"{PADDING}), then padding only; length must be in 1..{self.sequence_length}.")
    if window.min() < 0 or window.max() >= self.vocabulary.size:
      raise EdgeError(f"Token ids must be in [0, {self.vocabulary.size}) (the vocabulary size).")
    self._interpreter.set_tensor(self._input_index, window.astype(np.int32)[None])
    # A fused LSTM keeps its state in variable tensors: each window must start from zero state.
    self._interpreter.reset_all_variables()
    self._interpreter.invoke()
    return self.metadata.output.dequantize(self._interpreter.get_tensor(self._output_index)[0])

  def generator(self) -> TextGenerator:
    """The generation loop over this model (`TextGenerator.generate(prompt, max_tokens, temperature, ...)`)."""
    return TextGenerator(self.next_token_logits, self.vocabulary, self.sequence_length)
