"""Keras `TextVectorization(output_mode="int")` reproduced in plain Python, so the edge runtime needs no TensorFlow.

What Keras 3 does (read from its source, checked against the layer itself on every Rotten Tomatoes snippet and on
hand-picked Unicode text):
- `lower`: `tf.strings.lower(text)` is called without an encoding, which lowercases ASCII `A-Z` only: "É", "İ", "Σ",
  "ǅ" stay as they are. Python's `str.lower()` would change them, so it is not used.
- `strip_punctuation`: the regex `[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']` removes the 32 ASCII punctuation
  characters; curly quotes, "…" and other Unicode punctuation stay.
- `whitespace` split: `tf.strings.split(text)` splits on runs of the six ASCII whitespace characters " \t\n\v\f\r"
  and drops empty tokens; U+00A0, U+2028, U+3000 and other Unicode spaces are part of tokens. Python's `str.split()`
  would split on those too (and on U+001C..U+001F), so it is not used.
- `character` split: one token per Unicode code point.
- A token's id is its index in the vocabulary; an unknown token gets 1 (`[UNK]`). Ids are truncated to the first
  `sequence_length` and padded with 0 at the end.

One known gap: `get_vocabulary()` returns tokens as numpy strings, which drop trailing U+0000 (NUL) characters, so a
vocabulary token that ended in NUL cannot be told apart from the same token without it. Such tokens only come from
training text holding NUL characters.

TensorFlow runs these steps on UTF-8 bytes. Every step above touches ASCII characters only, and no byte of a
multi-byte UTF-8 character is ASCII, so working on Python characters gives the same tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import re
import string

import numpy as np

from edge.edge_error import EdgeError

PADDING_TOKEN = ""
OOV_TOKEN = "[UNK]"
PADDING_ID = 0
OOV_ID = 1
STANDARDIZE_NAMES = ("lower_and_strip_punctuation", "lower", "strip_punctuation", None)
SPLIT_NAMES = ("whitespace", "character")

_ASCII_WHITESPACE = re.compile("[ \t\n\v\f\r]+")


class TextTokenizer:
  """Turns texts into the fixed-length token ids a text model was trained on.

  Args:
    vocabulary: tokens, index = token id, as `TextVectorization.get_vocabulary()` returns them (`""` then `"[UNK]"`
      first).
    sequence_length: token ids per text.
    standardize: `lower_and_strip_punctuation` (the Keras default), `lower`, `strip_punctuation` or None.
    split: `whitespace` (the Keras default) or `character`.
  """

  def __init__(self, vocabulary: Sequence[str], sequence_length: int,
               standardize: str | None = "lower_and_strip_punctuation", split: str = "whitespace"):
    vocabulary = tuple(vocabulary)
    if vocabulary[:2] != (PADDING_TOKEN, OOV_TOKEN):
      raise EdgeError(f"The vocabulary must start with {PADDING_TOKEN!r} (padding) and {OOV_TOKEN!r} (out of "
                      f"vocabulary), as TextVectorization.get_vocabulary() returns it; got {list(vocabulary[:2])}.")
    if isinstance(sequence_length, bool) or not isinstance(sequence_length, int) or sequence_length < 1:
      raise EdgeError(f"sequence_length must be an integer >= 1, got {sequence_length!r}.")
    if standardize not in STANDARDIZE_NAMES:
      raise EdgeError(f"Unknown standardize {standardize!r}: expected one of {STANDARDIZE_NAMES}.")
    if split not in SPLIT_NAMES:
      raise EdgeError(f"Unknown split {split!r}: expected one of {SPLIT_NAMES}.")
    self.vocabulary = vocabulary
    self.sequence_length = sequence_length
    self.standardize = standardize
    self.split = split
    # "" maps to 0 as Keras maps its mask token; a literal "[UNK]" maps to 1 like any unknown token.
    self._ids = {token: index for index, token in enumerate(vocabulary)}
    table: dict[int, int | None] = {}
    if standardize in ("lower", "lower_and_strip_punctuation"):
      table.update(str.maketrans(string.ascii_uppercase, string.ascii_lowercase))
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
      table.update(dict.fromkeys(map(ord, string.punctuation)))
    self._table = table

  def tokenize(self, text: str | bytes) -> list[str]:
    """Returns the tokens of `text` after standardization and splitting (before lookup and truncation)."""
    standardized = _as_str(text).translate(self._table)
    if self.split == "character":
      return list(standardized)
    return [token for token in _ASCII_WHITESPACE.split(standardized) if token]

  def encode(self, text: str | bytes) -> np.ndarray:
    """Returns the `int32` token ids of `text`, shape `(sequence_length,)`."""
    ids = np.zeros((self.sequence_length,), np.int32)
    tokens = self.tokenize(text)[:self.sequence_length]
    ids[:len(tokens)] = [self._ids.get(token, OOV_ID) for token in tokens]
    return ids

  def encode_batch(self, texts: Iterable[str | bytes]) -> np.ndarray:
    """Returns the `int32` token ids of each text, shape `(len(texts), sequence_length)`."""
    rows = [self.encode(text) for text in texts]
    return np.stack(rows) if rows else np.zeros((0, self.sequence_length), np.int32)


def _as_str(text: str | bytes) -> str:
  if isinstance(text, bytes):
    try:
      return text.decode("utf-8")
    except UnicodeDecodeError as error:
      raise EdgeError(f"Text {text[:40]!r} is not valid UTF-8 ({error}): decode it with its own encoding and pass a "
                      "str.") from None
  if not isinstance(text, str):
    raise EdgeError(f"Expected a text (str), got {type(text).__name__}.")
  try:
    text.encode("utf-8")
  except UnicodeEncodeError as error:
    # Lone surrogates have no UTF-8 form, so TensorFlow could not take them either. Python makes them of bytes that
    # are not UTF-8 (command-line arguments, files opened with errors="surrogateescape"): name those bytes.
    raw = text[error.start:error.end].encode("utf-8", "surrogateescape") if _escaped(text, error) else None
    what = (f"bytes that are not UTF-8 ({raw!r} at character {error.start})" if raw is not None
            else f"characters with no UTF-8 form ({error.reason} at character {error.start})")
    raise EdgeError(f"Text {text[:40]!r} holds {what}. Convert the text to UTF-8 first (e.g. a Latin-1 text with "
                    "`iconv -f latin1 -t utf-8`), or decode it with its own encoding and pass a str.") from None
  return text


def _escaped(text: str, error: UnicodeEncodeError) -> bool:
  """Whether the characters `error` stopped at are Python's escapes of undecodable bytes (U+DC80-U+DCFF)."""
  return all(0xDC80 <= ord(character) <= 0xDCFF for character in text[error.start:error.end])
