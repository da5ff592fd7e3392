"""Tests of text corpora for language models: `novels` (real data) and `text:PATH`."""

import pathlib

import pytest

from tfmodels.config import DataConfig
from tfmodels import data as data_lib
from tfmodels.data import DataError
from tfmodels.data import corpus_loader

_NOVELS = ("The War of the Worlds", "Twenty Thousand Leagues under the Sea", "Pride and Prejudice",
           "Great Expectations")
_PARAGRAPH = "It was the best of times, it was the worst of times; it was the age of wisdom.\n"


def _load(dataset: str, **overrides) -> data_lib.TextCorpus:
  return data_lib.load_corpus(DataConfig(dataset=dataset, **overrides))


def _load_text(root: pathlib.Path, dataset: str, **overrides) -> data_lib.TextCorpus:
  """Loads a user's text, prepared in a cache of the test's own."""
  return _load(dataset, data_dir=str(root / ".cache"), **overrides)


def _blocks(corpus: data_lib.TextCorpus) -> dict[str, list[str]]:
  return {split: list(corpus.texts(split)) for split in data_lib.SPLIT_NAMES}


def _write(path: pathlib.Path, text: str) -> pathlib.Path:
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_bytes(text.encode("utf-8"))
  return path


@pytest.fixture(scope="module")
def novels() -> data_lib.TextCorpus:
  return _load("novels", sequence_length=128)


def test_novels_are_four_cleaned_books(novels):
  assert novels.name == "novels"
  assert novels.documents == _NOVELS
  total = sum(novels.num_characters.values())
  assert 2_500_000 < total < 2_700_000
  assert 0.65 < novels.num_characters["train"] / total < 0.75
  assert 0.15 < novels.num_characters["test"] / total < 0.25
  blocks = [block for split_blocks in _blocks(novels).values() for block in split_blocks]
  # Paragraphs are one line each, with single spaces; case and punctuation stay.
  assert not any("  " in block or "\n\n" in block or "\r" in block for block in blocks)
  wife = ("It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want "
          "of a wife.\n")
  assert any(wife in block for block in blocks)


def test_novels_blocks_are_disjoint_covering_and_deterministic(novels):
  blocks = [block for split_blocks in _blocks(novels).values() for block in split_blocks]
  assert len(blocks) == len(set(blocks))
  assert all(len(block) >= novels.block_size for block in blocks)
  # Reading again gives the same split, and it does not depend on the window length while blocks hold enough windows.
  assert _blocks(_load("novels", sequence_length=32)) == _blocks(novels)


def test_text_file(tmp_path):
  path = _write(tmp_path / "story.md", "\ufeff" + _PARAGRAPH.replace("\n", "\r\n") * 20)
  corpus = _load_text(tmp_path, f"text:{path}", sequence_length=32)
  assert corpus.name == f"text:{path}"
  assert corpus.documents == ("story.md",)
  text = "".join(block for blocks in _blocks(corpus).values() for block in blocks)
  assert sorted(text) == sorted(_PARAGRAPH * 20)  # BOM dropped, CRLF -> LF, nothing else touched.


def test_text_folder_reads_txt_files_recursively_in_order(tmp_path):
  _write(tmp_path / "b.txt", _PARAGRAPH * 10)
  _write(tmp_path / "a" / "z.txt", _PARAGRAPH * 10)
  _write(tmp_path / "a" / "notes.md", "not read")
  _write(tmp_path / ".hidden" / "x.txt", "not read")
  _write(tmp_path / "empty.TXT", "")
  corpus = _load_text(tmp_path, f"text:{tmp_path}", sequence_length=32)
  assert corpus.documents == ("a/z.txt", "b.txt", "empty.TXT")
  assert sum(corpus.num_characters.values()) == 2 * 10 * len(_PARAGRAPH)


def test_is_corpus_and_classifier_loader_refuses_corpora(tmp_path):
  assert data_lib.CORPUS_NAMES == ("novels",) and data_lib.TEXT_PREFIX == "text:"
  assert data_lib.is_corpus("novels") and data_lib.is_corpus("text:/x")
  assert not data_lib.is_corpus("digits") and not data_lib.is_corpus("csv:/x")
  with pytest.raises(DataError, match="is a text corpus for the language models .--model=transformer_lm or lstm_lm"):
    data_lib.load_dataset(DataConfig(dataset=f"text:{tmp_path}"))
  with pytest.raises(DataError, match="'digits' is not a text corpus"):
    _load("digits")


@pytest.mark.parametrize("setup, dataset, message", [
    (None, "text:", "names no path"),
    (None, "text:{root}/missing.txt", "missing.txt does not exist. Give text:PATH a UTF-8 text file or a folder"),
    (lambda root: _write(root / "a.csv", "x"), "text:{root}", "holds no .txt files"),
    (lambda root: _write(root / "a.txt", " \n "), "text:{root}", r"its 1 .txt file\(s\) are empty"),
    (lambda root: _write(root / "a.txt", ""), "text:{root}/a.txt", "holds no text: it is empty"),
    (lambda root: (root / "a.txt").write_bytes(b"GIF89a\x01\x00\x00\x00"), "text:{root}",
     r"a.txt holds a NUL byte at byte offset 7: it is a binary file, not text. Save it as UTF-8 text"),
    (lambda root: (root / "a.txt").write_bytes(b"\xef\xbb\xbfline one\ncaf\xe9\n"), "text:{root}/a.txt",
     r"a.txt is not UTF-8: byte 0xe9 at byte offset 15 \(line 2\) cannot be decoded. Save it as UTF-8 text"),
    (lambda root: _write(root / "a.txt", "Short."), "text:{root}/a.txt",
     r"has 6 characters, too few .* --params=data.sequence_length=1, or more text"),
])
def test_bad_text_input_names_the_problem(tmp_path, setup, dataset, message):
  if setup:
    setup(tmp_path)
  with pytest.raises(DataError, match=message):
    _load_text(tmp_path, dataset.format(root=tmp_path))


def test_a_text_folder_is_prepared_once_and_again_when_a_file_is_added(tmp_path):
  folder = tmp_path / "texts"
  _write(folder / "a.txt", _PARAGRAPH * 40)
  first = _load_text(tmp_path, f"text:{folder}", sequence_length=32)
  _write(folder / "notes.md", "not a text file of the corpus")
  again = _load_text(tmp_path, f"text:{folder}", sequence_length=32)
  assert again.builder.data_dir == first.builder.data_dir  # read, not prepared again
  _write(folder / "b.txt", _PARAGRAPH * 40)
  changed = _load_text(tmp_path, f"text:{folder}", sequence_length=32)
  assert changed.builder.data_dir != first.builder.data_dir
  assert changed.documents == ("a.txt", "b.txt")
  assert not pathlib.Path(first.builder.data_dir).exists()  # the stale copy is gone
  # Another window length is another preparation, beside this one.
  other = _load_text(tmp_path, f"text:{folder}", sequence_length=16)
  assert other.builder.data_dir != changed.builder.data_dir and pathlib.Path(changed.builder.data_dir).exists()


def test_a_large_text_file_is_read_in_pieces(tmp_path, monkeypatch):
  monkeypatch.setattr(corpus_loader, "_PIECE_CHARACTERS", 1000)
  text = "".join(f"{index}: {_PARAGRAPH}" for index in range(400))
  path = _write(tmp_path / "book.txt", text.replace("\n", "\r\n"))
  corpus = _load_text(tmp_path, f"text:{path}", sequence_length=64)
  assert sorted("".join(block for blocks in _blocks(corpus).values() for block in blocks)) == sorted(text)
  (tmp_path / "late.txt").write_bytes(("x" * 5000 + "\n").encode() + b"caf\xe9")
  with pytest.raises(DataError, match=r"late.txt is not UTF-8: byte 0xe9 at byte offset 5004 \(line 2\)"):
    _load_text(tmp_path, f"text:{tmp_path / 'late.txt'}", sequence_length=64)
