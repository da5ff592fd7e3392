"""Turns `DataConfig.dataset` into a `TextCorpus` for the language models, prepared once as TFDS records.

- `novels`: the four Project Gutenberg novels of the R package tidytext (`books.rda`, fetched by `package_cache`):
  The War of the Worlds, Twenty Thousand Leagues under the Sea, Pride and Prejudice and Great Expectations, one
  document each. The books are hard-wrapped lines with blank lines between paragraphs; the lines of a paragraph are
  joined with single spaces (runs of spaces collapsed), and paragraphs end with one "\\n". Case and punctuation stay:
  a character model learns them too.
- `tfds:NAME`: the texts of a TFDS data set (see `tfds_source.py`), its splits one after the other, each text
  followed by "\\n". Consecutive texts are joined into documents of at least `TFDS_DOCUMENT_CHARACTERS` characters,
  so that sets of short sentences (such as `lm1b`) give windows too.
- `text:PATH`: a UTF-8 text file, or a folder whose `*.txt` files (searched recursively, sorted by path, hidden files
  and folders skipped) are the documents. A byte-order mark is dropped and line ends become "\\n"; the text is
  otherwise kept exactly as it is.

Every corpus is written once as records of its blocks (`builders/text_corpus_blocks.py`) under
`<data_dir>/tfds/user/corpus-<name>-<path hash>/`, keyed by a fingerprint of its source files (`fingerprint.py`:
the text files, the package file of the novels, or the record files of the TFDS set) and by the split parameters and
window length; later loads of an unchanged source read the records directly. Preparing reads the source twice or
more, a piece at a time (first to count each document's characters and check the files, then once per split), so
no corpus is held in memory whole. How the documents are split is described in `block_plan.py`.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator
import pathlib
import re
import warnings

from absl import logging
import tensorflow_datasets as tfds

from tfmodels.config import DataConfig
from tfmodels.data import fingerprint
from tfmodels.data import package_cache
from tfmodels.data import preparation
from tfmodels.data import tfds_source
from tfmodels.data.block_plan import SPLIT_NAMES, BlockPlan
from tfmodels.data.builders.text_corpus_blocks import CorpusSource, TextCorpusBlocks, corpus_config
from tfmodels.data.data_error import DataError
from tfmodels.data.text_corpus import TextCorpus
from tfmodels.dataset_names import CORPUS_NAMES, TEXT_PREFIX, is_tfds

TFDS_DOCUMENT_CHARACTERS = 16384
# Changes whenever the way a corpus is read changes, so older prepared copies are not read as current.
_FORMAT = "corpus-blocks-1"
# Characters read from a text file at a time.
_PIECE_CHARACTERS = 1 << 20

_LINE_ENDS = re.compile(r"\r\n?")

# Each call yields every document as `(name, pieces of text)`, in order.
Documents = Callable[[], Iterator[tuple[str, Iterable[str]]]]


def load_corpus(config: DataConfig) -> TextCorpus:
  """Prepares `config.dataset` (once per source state, split parameters and window length) and opens it.

  Args:
    config: the data settings; `dataset` is `novels`, `text:PATH` or `tfds:NAME` (a set of texts).

  Returns:
    The corpus, split into train, validation and test blocks.

  Raises:
    DataError: the name is not a corpus, the text cannot be read, or it is too small for the split.
  """
  name = config.dataset
  if name == "novels":
    path = package_cache.tidytext_books_rda(config.data_dir)
    root, files, slug, documents = path, [path], "novels", lambda: _novels(path)
  elif is_tfds(name):
    source = tfds_source.open_builder(config)
    root = pathlib.Path(source.data_dir)
    files = sorted(path for path in root.iterdir() if path.is_file())
    slug = source.name
    documents = lambda: _joined_texts(name, tfds_source.corpus_texts(config, source))
  elif name.startswith(TEXT_PREFIX):
    path = name[len(TEXT_PREFIX):]
    if not path.strip():
      raise DataError(f"Dataset '{name}' names no path. Write {TEXT_PREFIX}PATH, e.g. {TEXT_PREFIX}/data/book.txt.")
    root = pathlib.Path(path).expanduser()
    files = _text_files(root)
    slug, documents = root.stem, lambda: _text_documents(root, files)
  else:
    raise DataError(f"Dataset '{name}' is not a text corpus. Language models read {', '.join(CORPUS_NAMES)} or "
                    f"{TEXT_PREFIX}PATH (a UTF-8 text file, or a folder of .txt files).")
  prepared = fingerprint.prepared_location(config.data_dir, "corpus", root, files, (_FORMAT, name), slug=slug)
  builder_config = corpus_config(config, prepared.fingerprint)
  target = prepared.data_dir / TextCorpusBlocks.name / builder_config.name / str(TextCorpusBlocks.VERSION)

  def make_builder() -> tfds.core.DatasetBuilder:
    if (target / "dataset_info.json").exists():
      return tfds.builder_from_directory(str(target))
    names, lengths = _measure(name, root, documents)
    source = CorpusSource(name=name, document_names=names, plan=BlockPlan.from_lengths(name, lengths, config),
                          documents=lambda: (pieces for _, pieces in documents()))
    return TextCorpusBlocks(data_dir=str(prepared.data_dir), config=builder_config, source=source)

  builder = preparation.prepare(make_builder, prepared.data_dir, builder_config.name)
  fingerprint.remove_stale(prepared.data_dir / TextCorpusBlocks.name, keep=builder_config.name)
  corpus = TextCorpus.from_prepared(builder)
  logging.info("%s: %d document(s), %d characters in blocks of %d: %s.", name, len(corpus.documents),
               sum(corpus.num_characters.values()), corpus.block_size,
               ", ".join(f"{split} {corpus.num_characters[split]} ({len(corpus.block_lengths[split])} blocks)"
                         for split in SPLIT_NAMES))
  return corpus


def _measure(name: str, root: pathlib.Path, documents: Documents) -> tuple[tuple[str, ...], list[int]]:
  """The name and character count of every document, read once; raises `DataError` when there is no text."""
  names, lengths, blank = [], [], True
  for document, pieces in documents():
    length = 0
    for piece in pieces:
      length += len(piece)
      blank = blank and not piece.strip()
    names.append(document)
    lengths.append(length)
  if not names:
    raise DataError(f"'{name}' holds no text. Use a TFDS set with a Text feature that has examples.")
  if blank and name.startswith(TEXT_PREFIX):
    what = f"its {len(names)} .txt file(s) are" if root.is_dir() else "it is"
    raise DataError(f"{root} holds no text: {what} empty. Give {TEXT_PREFIX}PATH a file or folder with text in "
                    "it.")
  return tuple(names), lengths


def _joined_texts(name: str, texts: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
  """Consecutive texts joined into documents of at least `TFDS_DOCUMENT_CHARACTERS` characters."""
  count, parts, length = 0, [], 0
  for text in texts:
    parts.append(_LINE_ENDS.sub("\n", text).rstrip("\n") + "\n")
    length += len(parts[-1])
    if length >= TFDS_DOCUMENT_CHARACTERS:
      yield f"{name}#{count}", parts
      count, parts, length = count + 1, [], 0
  if parts:
    yield f"{name}#{count}", parts


def _novels(path: pathlib.Path) -> Iterator[tuple[str, list[str]]]:
  """`(title, [text])` of each novel in `books.rda`, in the file's order, paragraphs re-joined."""
  for title, text in read_novels(path):
    yield title, [text]


def read_novels(path: pathlib.Path) -> list[tuple[str, str]]:
  """`(title, text)` of each novel in `books.rda`, in the file's order, paragraphs re-joined."""
  import rdata  # pylint: disable=g-import-not-at-top  (only this data set needs it)

  with warnings.catch_warnings():
    # The table is an R tibble; rdata reads it as a plain data frame and says so.
    warnings.filterwarnings("ignore", message="Missing constructor for R class")
    books = rdata.read_rda(str(path))["books"]
  lines_by_title: dict[str, list[str]] = {}
  for title, line in zip(books["title"].astype(str), books["text"].fillna("").astype(str)):
    lines_by_title.setdefault(title, []).append(line)
  return [(title, _join_paragraphs(lines)) for title, lines in lines_by_title.items()]


def _join_paragraphs(lines: list[str]) -> str:
  """One line per paragraph: blank lines separate paragraphs, all other whitespace becomes single spaces."""
  paragraphs, words = [], []
  for line in lines:
    line_words = line.split()
    if line_words:
      words.extend(line_words)
    elif words:
      paragraphs.append(" ".join(words))
      words = []
  if words:
    paragraphs.append(" ".join(words))
  return "".join(paragraph + "\n" for paragraph in paragraphs)


def _text_files(location: pathlib.Path) -> list[pathlib.Path]:
  """The file at `location`, or every `*.txt` file under the folder `location` (sorted, hidden ones skipped)."""
  if not location.exists():
    raise DataError(f"Text path {location} does not exist. Give {TEXT_PREFIX}PATH a UTF-8 text file or a folder of "
                    ".txt files.")
  if not location.is_dir():
    return [location]
  files = sorted(path for path in location.rglob("*") if path.suffix.lower() == ".txt" and path.is_file()
                 and not any(part.startswith(".") for part in path.relative_to(location).parts))
  if not files:
    raise DataError(f"Folder {location} holds no .txt files. Save the text as UTF-8 files ending in .txt there, or "
                    f"give {TEXT_PREFIX}PATH a single text file.")
  return files


def _text_documents(location: pathlib.Path, files: list[pathlib.Path]) -> Iterator[tuple[str, Iterator[str]]]:
  """`(name, pieces)` of every text file: its path relative to the folder given (or its own name)."""
  for path in files:
    yield (path.relative_to(location).as_posix() if location.is_dir() else path.name), _text_pieces(path)


def _text_pieces(path: pathlib.Path) -> Iterator[str]:
  """The text of one UTF-8 file, `_PIECE_CHARACTERS` characters at a time, line ends normalised to "\\n"."""
  try:
    # Universal newlines turn CR LF and a lone CR into LF; utf-8-sig drops a byte-order mark.
    with open(path, encoding="utf-8-sig", newline=None) as file:
      while piece := file.read(_PIECE_CHARACTERS):
        if "\0" in piece:
          raise _not_text(path)
        yield piece
  except UnicodeDecodeError:
    raise _not_text(path) from None
  except OSError as error:
    raise DataError(f"Cannot read {path}: {error.strerror or error}. Check that it exists and is readable.") from None


def _not_text(path: pathlib.Path) -> DataError:
  """Names what makes `path` unreadable as text: its first NUL byte, else its first byte that is not UTF-8."""
  chunk_bytes = 1 << 24
  with open(path, "rb") as file:
    offset = 0
    while chunk := file.read(chunk_bytes):
      nul = chunk.find(b"\0")
      if nul >= 0:
        return DataError(f"{path} holds a NUL byte at byte offset {offset + nul}: it is a binary file, not text. "
                         "Save it as UTF-8 text, or move it out of the folder.")
      offset += len(chunk)
  decoder = codecs.getincrementaldecoder("utf-8")()
  with open(path, "rb") as file:
    offset, lines = 0, 0  # bytes and line ends before `data`
    while True:
      chunk = file.read(chunk_bytes)
      pending = decoder.getstate()[0]  # the start of a character cut by the chunk before (holds no line end)
      data = pending + chunk
      try:
        decoder.decode(chunk, final=not chunk)
      except UnicodeDecodeError as error:
        position = offset - len(pending) + error.start
        line = lines + data.count(b"\n", 0, error.start) + 1
        return DataError(f"{path} is not UTF-8: byte 0x{data[error.start]:02x} at byte offset {position} (line "
                         f"{line}) cannot be decoded. Save it as UTF-8 text, e.g. `iconv -f latin1 -t utf-8 "
                         f"{path.name} > {path.stem}.utf8.txt`.")
      if not chunk:
        return DataError(f"{path} cannot be read as UTF-8 text. Save it as UTF-8 text.")
      offset += len(chunk)
      lines += chunk.count(b"\n")
