"""Runs an exported `.tflite` language model with LiteRT: text generation without TensorFlow."""

from __future__ import annotations

import os

import numpy as np

from edge.cached_signatures import CachedSignatures
from edge.char_vocabulary import PADDING, CharVocabulary
from edge.edge_error import EdgeError
from edge.text_generator import TextGenerator
from edge.tflite_model import TfliteModel


class EdgeLanguageModel:
  """Continues texts with an exported `.tflite` language model and the metadata written beside it.

  The file's `prefill` and `decode` signatures (`export.tflite.next_token_graph.generation_signatures`) run generation in
  constant work per token: `prefill(window, length)` reads a right-padded window and returns the logits of the token
  after it, `decode(token, position)` reads one token and returns the logits of the next. The cache (keys and
  values, or LSTM states) is held between the calls in the `decode` signature's input tensors (`CachedSignatures`,
  which converts it between each signature's own scales in an integer file). `next_token_logits` is a prefill that
  keeps no cache (a whole window per token). A file of an older export holds the next-token model alone and
  generates through it, a window per token.

  `generator()` runs the generation loop the Keras model runs (`TextGenerator`: greedy, or sampled with temperature,
  top-k, top-p and a seed; when the window is full it re-reads the last `reprefill_length` tokens), so with a
  float32 file and greedy decoding both give the same text. The character vocabulary comes from the metadata, so
  the two files are all it needs.

  Args:
    model_path: the `.tflite` file (`OUT/tflite/NAME_MODE.tflite`).
    metadata_path: its metadata; default: `NAME_MODE.json` beside it.
    num_threads: CPU threads for the interpreter; default: LiteRT's choice.

  Attributes:
    signatures: the `CachedSignatures` (None in a file without them): seconds and calls of each signature so far.

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
    info = self.metadata.language_model
    self.vocabulary = CharVocabulary(info.vocabulary)
    self.sequence_length = info.sequence_length
    self.cached = info.cached
    self._interpreter = model.interpreter
    self._input_index = model.input_details["index"]
    self._output_index = model.output_details["index"]
    batch = self.metadata.input.shape[0]
    if batch == -1 and not self.cached:  # an older next-token file of any batch size: one window at a time
      self._interpreter.resize_tensor_input(self._input_index, [1, self.sequence_length])
      self._interpreter.allocate_tensors()
    elif batch not in (-1, 1):
      raise EdgeError(f"{os.fspath(model_path)} takes {batch} windows at once; a language model for generation "
                      "takes one (shape [1, sequence_length]). Re-export it.")
    self.signatures = CachedSignatures(self._interpreter, info.cache) if self.cached else None
    self._position = 0

  def next_token_logits(self, window: np.ndarray, length: int) -> np.ndarray:
    """The float32 logits `(vocab_size,)` of the token after the first `length` ids of `window` (one whole window,
    through `prefill` without keeping its cache).

    Args:
      window: int32 `(sequence_length,)`: `length` real token ids (none of them 0), then padding (0).
      length: real tokens in the window, 1..sequence_length.

    Raises:
      EdgeError: the window is not shaped so (the model finds the length from the padding).
    """
    window = self._checked_window(window, length)
    if self.signatures is not None:
      return self.signatures.prefill(window, keep_cache=False)
    # A fused LSTM keeps its state in variable tensors: each window must start from zero state.
    self._interpreter.reset_all_variables()
    self._interpreter.set_tensor(self._input_index, window[None])
    self._interpreter.invoke()
    return self.metadata.output.dequantize(self._interpreter.get_tensor(self._output_index)[0])

  def prefill(self, window: np.ndarray, length: int) -> np.ndarray:
    """Starts over on a right-padded window (`next_token_logits`' arguments): fills the cache and returns the
    float32 logits `(vocab_size,)` of the token after its last real one.

    Raises:
      EdgeError: the window is not shaped so, or the file has no `prefill` signature.
    """
    window = self._checked_window(window, length)
    if self.signatures is None:
      raise EdgeError("This file has no prefill and decode signatures: re-export the model for cached generation, "
                      "or generate through next_token_logits.")
    self._position = length
    return self.signatures.prefill(window)

  def decode(self, token: int, position: int) -> np.ndarray:
    """Reads `token` at `position` (the length of the context so far), extends the cache, returns the float32
    logits `(vocab_size,)` of the next token.

    Raises:
      EdgeError: no prefill came first, the position is not the next one, or the token is not a vocabulary id.
    """
    if self.signatures is None or not self.signatures.filled or position != self._position or not (
        0 <= position < self.sequence_length):
      raise EdgeError(f"decode(token, position={position}): prefill a window first, then decode positions in order "
                      f"from its length, below the window ({self.sequence_length}).")
    if not 0 < token < self.vocabulary.size:
      raise EdgeError(f"Token ids to decode must be in [1, {self.vocabulary.size}) (not padding).")
    self._position = position + 1
    return self.signatures.decode(int(token), position)

  def generator(self, reprefill_length: int | None = None) -> TextGenerator:
    """The generation loop over this model (`TextGenerator.generate(prompt, max_tokens, temperature, ...)`): on the
    cached signatures when the file has them (`reprefill_length`: `TextGenerator`'s), else a window per token."""
    if not self.cached:
      return TextGenerator(self.next_token_logits, self.vocabulary, self.sequence_length)
    return TextGenerator(self, self.vocabulary, self.sequence_length, reprefill_length)

  def _checked_window(self, window: np.ndarray, length: int) -> np.ndarray:
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
    return window.astype(np.int32)
