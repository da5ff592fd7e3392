"""Turns `DataConfig.dataset` into a `TextCorpus` for the language models.

- `novels`: the four Project Gutenberg novels of the R package tidytext (`books.rda`, fetched by `package_cache`):
  The War of the Worlds, Twenty Thousand Leagues under the Sea, Pride and Prejudice and Great Expectations, one
  document each. The books are hard-wrapped lines with blank lines between paragraphs; the lines of a paragraph are
  joined with single spaces (runs of spaces collapsed), and paragraphs end with one "\\n". Case and punctuation stay:
  a character model learns them too.
- `tfds:NAME`: the texts of a TFDS data set (see `tfds_source.py`), its splits one after the other, each text
  followed by "\\n". Consecutive texts are joined into documents of at least `TFDS_DOCUMENT_CHARACTERS` characters,
  so that sets of short sentences (such as `lm1b`) give windows too. The texts are read into memory.
- `text:PATH`: a UTF-8 text file, or a folder whose `*.txt` files (searched recursively, sorted by path, hidden files
  and folders skipped) are the documents. A byte-order mark is dropped and line ends become "\\n"; the text is
  otherwise kept exactly as it is.

How the documents are split is described in `text_corpus.py`.
"""

from __future__ import annotations

import pathlib
import re
import warnings

from tfmodels.config import DataConfig
from tfmodels.data import package_cache
from tfmodels.data import tfds_source
from tfmodels.data.data_error import DataError
from tfmodels.data.text_corpus import TextCorpus

CORPUS_NAMES = ("novels",)
TEXT_PREFIX = "text:"
TFDS_DOCUMENT_CHARACTERS = 16384

_LINE_ENDS = re.compile(r"\r\n?")


def is_corpus(dataset_name: str) -> bool:
  """Whether `dataset_name` names a text corpus for language models (`novels` or `text:PATH`)."""
  return dataset_name in CORPUS_NAMES or dataset_name.startswith(TEXT_PREFIX)


def load_corpus(config: DataConfig) -> TextCorpus:
  """Reads `config.dataset` and splits it into train, validation and test blocks.

  Args:
    config: the data settings; `dataset` is `novels` or `text:PATH`.

  Returns:
    The corpus.

  Raises:
    DataError: the name is not a corpus, the text cannot be read, or it is too small for the split.
  """
  name = config.dataset
  if name == "novels":
    documents = _read_novels(config.data_dir)
  elif tfds_source.is_tfds(name):
    documents = _join_texts(name, tfds_source.corpus_texts(config))
  elif name.startswith(TEXT_PREFIX):
    path = name[len(TEXT_PREFIX):]
    if not path.strip():
      raise DataError(f"Dataset '{name}' names no path. Write {TEXT_PREFIX}PATH, e.g. {TEXT_PREFIX}/data/book.txt.")
    documents = _read_text_files(pathlib.Path(path).expanduser())
  else:
    raise DataError(f"Dataset '{name}' is not a text corpus. Language models read {', '.join(CORPUS_NAMES)} or "
                    f"{TEXT_PREFIX}PATH (a UTF-8 text file, or a folder of .txt files).")
  return TextCorpus.from_documents(name, documents, config)


def _join_texts(name: str, texts) -> list[tuple[str, str]]:
  """Consecutive texts joined into documents of at least `TFDS_DOCUMENT_CHARACTERS` characters."""
  documents, parts, length = [], [], 0
  for text in texts:
    parts.append(_LINE_ENDS.sub("\n", text).rstrip("\n") + "\n")
    length += len(parts[-1])
    if length >= TFDS_DOCUMENT_CHARACTERS:
      documents.append((f"{name}#{len(documents)}", "".join(parts)))
      parts, length = [], 0
  if parts:
    documents.append((f"{name}#{len(documents)}", "".join(parts)))
  if not documents:
    raise DataError(f"'{name}' holds no text. Use a TFDS set with a Text feature that has examples.")
  return documents


def _read_novels(data_dir: str) -> list[tuple[str, str]]:
  """`(title, text)` of each novel in `books.rda`, in the file's order, paragraphs re-joined."""
  import rdata  # pylint: disable=g-import-not-at-top  (only this data set needs it)

  with warnings.catch_warnings():
    # The table is an R tibble; rdata reads it as a plain data frame and says so.
    warnings.filterwarnings("ignore", message="Missing constructor for R class")
    books = rdata.read_rda(str(package_cache.tidytext_books_rda(data_dir)))["books"]
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


def _read_text_files(location: pathlib.Path) -> list[tuple[str, str]]:
  """`(name, text)` of the file at `location`, or of every `*.txt` file under the folder `location`."""
  if not location.exists():
    raise DataError(f"Text path {location} does not exist. Give {TEXT_PREFIX}PATH a UTF-8 text file or a folder of "
                    ".txt files.")
  if location.is_dir():
    files = sorted(path for path in location.rglob("*") if path.suffix.lower() == ".txt" and path.is_file()
                   and not any(part.startswith(".") for part in path.relative_to(location).parts))
    if not files:
      raise DataError(f"Folder {location} holds no .txt files. Save the text as UTF-8 files ending in .txt there, or "
                      f"give {TEXT_PREFIX}PATH a single text file.")
    documents = [(path.relative_to(location).as_posix(), _read_text(path)) for path in files]
  else:
    documents = [(location.name, _read_text(location))]
  if not any(text.strip() for _, text in documents):
    what = f"its {len(documents)} .txt file(s) are" if location.is_dir() else "it is"
    raise DataError(f"{location} holds no text: {what} empty. Give {TEXT_PREFIX}PATH a file or folder with text in "
                    "it.")
  return documents


def _read_text(path: pathlib.Path) -> str:
  """The text of one UTF-8 file, line ends normalised to "\\n"."""
  data = path.read_bytes()
  nul = data.find(b"\0")
  if nul >= 0:
    raise DataError(f"{path} holds a NUL byte at byte offset {nul}: it is a binary file, not text. Save it as UTF-8 "
                    "text, or move it out of the folder.")
  try:
    text = data.decode("utf-8-sig")
  except UnicodeDecodeError as error:
    # utf-8-sig offsets count from after a byte-order mark.
    offset = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
    line = data.count(b"\n", 0, offset) + 1
    raise DataError(f"{path} is not UTF-8: byte 0x{data[offset]:02x} at byte offset {offset} (line {line}) cannot "
                    f"be decoded. Save it as UTF-8 text, e.g. `iconv -f latin1 -t utf-8 {path.name} > "
                    f"{path.stem}.utf8.txt`.") from error
  return _LINE_ENDS.sub("\n", text)
