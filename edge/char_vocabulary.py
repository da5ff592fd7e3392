"""The character vocabulary of the language models: one token per Unicode code point.

Training builds it from the training text and saves it beside the model; the edge runtime loads the same file, so
both sides turn text into the same ids. Id 0 is padding (decodes to nothing) and id 1 stands for every character the
vocabulary lacks (decodes to U+FFFD, the Unicode replacement character). A literal U+FFFD in the text also encodes to
1, so it round-trips. The other ids are characters, most frequent first.

Plain Python and numpy only: the edge runtime imports no TensorFlow.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping, Sequence
import json
import os
import pathlib

import numpy as np

from edge.edge_error import EdgeError
from tfmodels.atomic_files import write_text

PADDING = 0
UNKNOWN = 1
PADDING_TOKEN = ""
UNKNOWN_TOKEN = "\ufffd"
VOCABULARY_FILE = "char_vocabulary.json"
FILE_FORMAT = "char_vocabulary"
FILE_VERSION = 1


class CharVocabulary:
  """Maps characters to ids and back.

  Args:
    tokens: token of each id: `""` (padding), `"\\ufffd"` (unknown), then distinct single characters.

  Raises:
    EdgeError: `tokens` does not start with the two reserved tokens, or holds a token that is not one character, or
      one character twice.
  """

  def __init__(self, tokens: Sequence[str]):
    tokens = tuple(tokens)
    if tokens[:2] != (PADDING_TOKEN, UNKNOWN_TOKEN):
      raise EdgeError(f"A character vocabulary starts with {PADDING_TOKEN!r} (padding) and {UNKNOWN_TOKEN!r} "
                      f"(unknown); got {list(tokens[:2])}. Build it with CharVocabulary.build.")
    characters = tokens[2:]
    bad = [token for token in characters if not isinstance(token, str) or len(token) != 1]
    if bad:
      raise EdgeError(f"Every token after the first two must be a single character; got {bad[:5]!r}.")
    repeated = sorted({token for token, count in collections.Counter(tokens[1:]).items() if count > 1})
    if repeated:
      raise EdgeError(f"Character(s) {repeated[:5]!r} appear more than once in the vocabulary.")
    self.tokens = tokens
    # Sorted code points with their ids: `encode` looks a whole text up at once with `np.searchsorted`.
    code_points = np.array([ord(token) for token in characters], np.int64)
    order = np.argsort(code_points)
    self._code_points = code_points[order]
    self._ids = (order + 2).astype(np.int32)

  @classmethod
  def build(cls, texts: Iterable[str], max_size: int, min_count: int = 1) -> CharVocabulary:
    """Builds the vocabulary of the characters of `texts`.

    Args:
      texts: the training text, in any number of pieces.
      max_size: the most tokens in all, the padding and unknown tokens included (>= 2).
      min_count: characters seen fewer times than this are left out (they encode as unknown).

    Returns:
      The vocabulary: characters by descending count, ties broken by code point, cut to `max_size` tokens.

    Raises:
      EdgeError: `max_size` < 2 or `min_count` < 1.
    """
    counts = collections.Counter()
    for text in texts:
      counts.update(text)
    return cls.from_counts(counts, max_size, min_count)

  @classmethod
  def from_counts(cls, counts: Mapping[str, int], max_size: int, min_count: int = 1) -> CharVocabulary:
    """Builds the vocabulary from how often each character occurs in the training text (see `build`)."""
    if max_size < 2:
      raise EdgeError(f"max_size must be >= 2 (padding and unknown are always there), got {max_size}.")
    if min_count < 1:
      raise EdgeError(f"min_count must be >= 1, got {min_count}.")
    # The unknown token's own character is left out: id 1 already stands for it.
    ranked = sorted((character for character, count in counts.items()
                     if count >= min_count and character != UNKNOWN_TOKEN),
                    key=lambda character: (-counts[character], ord(character)))
    return cls((PADDING_TOKEN, UNKNOWN_TOKEN, *ranked[:max_size - 2]))

  @property
  def size(self) -> int:
    """Number of ids, padding and unknown included."""
    return len(self.tokens)

  def __len__(self) -> int:
    return len(self.tokens)

  def encode(self, text: str) -> np.ndarray:
    """Returns the `int32` id of each character of `text`, shape `(len(text),)`; unknown characters get `UNKNOWN`."""
    if not isinstance(text, str):
      raise EdgeError(f"Expected a text (str), got {type(text).__name__}.")
    # UTF-32 holds one 4-byte code point per character; surrogatepass keeps lone surrogates (unknown here) encodable.
    code_points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.int64)
    if not len(self._code_points):
      return np.full(code_points.shape, UNKNOWN, np.int32)
    positions = np.minimum(np.searchsorted(self._code_points, code_points), len(self._code_points) - 1)
    found = self._code_points[positions] == code_points
    return np.where(found, self._ids[positions], UNKNOWN).astype(np.int32)

  def decode(self, ids: Iterable[int] | np.ndarray) -> str:
    """Returns the text of `ids`: padding is dropped, unknown becomes U+FFFD.

    Raises:
      EdgeError: an id is outside `[0, size)`.
    """
    ids = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), np.int64).reshape(-1)
    outside = ids[(ids < 0) | (ids >= self.size)]
    if len(outside):
      raise EdgeError(f"Id {int(outside[0])} is outside this vocabulary of {self.size} tokens: the ids come from a "
                      "model trained with a different vocabulary. Load the vocabulary saved with that model.")
    return "".join(self.tokens[i] for i in ids.tolist())

  def unknown_count(self, text: str) -> int:
    """Number of characters of `text` the vocabulary lacks (they decode as U+FFFD; a literal U+FFFD is not counted)."""
    unknown = self.encode(text) == UNKNOWN
    return int(unknown.sum()) - text.count(UNKNOWN_TOKEN)

  def save(self, path: str | os.PathLike) -> None:
    """Writes the vocabulary as JSON to `path` (conventionally `VOCABULARY_FILE` in the model folder).

    Written atomically (`tfmodels.atomic_files`): a reader never sees half a file.
    """
    content = json.dumps({"format": FILE_FORMAT, "version": FILE_VERSION, "tokens": list(self.tokens)})
    write_text(path, content + "\n")

  @classmethod
  def load(cls, path: str | os.PathLike) -> CharVocabulary:
    """Reads a vocabulary written by `save`.

    Raises:
      EdgeError: the file is missing, is not JSON, or does not hold a version-1 character vocabulary.
    """
    path = pathlib.Path(path)
    if not path.is_file():
      raise EdgeError(f"No character vocabulary at {path}. A language model's folder holds {VOCABULARY_FILE} "
                      "beside the model, written by training: point to that folder, or export the model again.")
    try:
      content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
      raise EdgeError(f"{path} is not a JSON file ({error}); it is damaged. Copy {VOCABULARY_FILE} again from the "
                      "trained model's folder.") from None
    if not isinstance(content, dict) or content.get("format") != FILE_FORMAT:
      raise EdgeError(f"{path} is not a character vocabulary (expected \"format\": \"{FILE_FORMAT}\"). Give the "
                      f"{VOCABULARY_FILE} written with the model.")
    if content.get("version") != FILE_VERSION:
      raise EdgeError(f"{path} is a character vocabulary of version {content.get('version')!r}; this runtime reads "
                      f"version {FILE_VERSION}. Use a runtime of the same release as the training code.")
    tokens = content.get("tokens")
    if not isinstance(tokens, list) or not all(isinstance(token, str) for token in tokens):
      raise EdgeError(f"{path} has no list of string \"tokens\"; it is damaged. Copy {VOCABULARY_FILE} again from "
                      "the trained model's folder.")
    try:
      return cls(tokens)
    except EdgeError as error:
      raise EdgeError(f"{path} holds an invalid vocabulary: {error}") from None
