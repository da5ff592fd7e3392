"""Tests of user CSV text data (`csv:PATH`)."""

import logging
import pathlib

import pytest

from tfmodels.config import DataConfig
from tfmodels.data import DataError
from tfmodels.data import csv_text

_REVIEWS = {
    "pos": ["A warm, funny film.", "Sharp writing and a great cast.", "I loved every minute.", "A joy to watch.",
            "Smart, moving and beautifully shot.", "The best film of the year."],
    "neg": ["Dull and far too long.", "The plot makes no sense.", "I walked out.", "Flat acting, flat jokes.",
            "A waste of a good cast.", "Tedious from start to end."],
}


def _write_csv(path: pathlib.Path, rows, header="text,label") -> pathlib.Path:
  lines = [header] + [f'"{text}",{label}' for text, label in rows]
  path.write_text("\n".join(lines) + "\n", encoding="utf-8")
  return path


def _rows(count: int = 6):
  return [(text, label) for label, texts in _REVIEWS.items() for text in texts[:count]]


def _load(path: pathlib.Path, **overrides):
  cache = path.parent / "cache" if path.is_file() or path.suffix else path / "cache"
  return csv_text.load_csv_text(str(path), DataConfig(dataset=f"csv:{path}", data_dir=str(cache), **overrides))


def test_single_file_is_split_three_ways(tmp_path):
  dataset = _load(_write_csv(tmp_path / "reviews.csv", _rows()), validation_fraction=1 / 6, test_fraction=1 / 3)
  assert dataset.kind == "text"
  assert dataset.label_names == ("neg", "pos")
  assert dataset.feature_shape == ()
  assert dataset.num_examples == {"train": 6, "validation": 2, "test": 4}
  assert dataset.splits["train"].element_spec[0].dtype.name == "string"
  texts, labels = dataset.split_arrays("train")
  for text, label in zip(texts, labels):
    assert text.decode() in _REVIEWS[dataset.label_names[label]]


def test_folder_with_train_and_test_keeps_them(tmp_path):
  _write_csv(tmp_path / "train.csv", _rows(5))
  _write_csv(tmp_path / "test.csv", [("Fine.", "pos"), ("Bad.", "neg")])
  dataset = _load(tmp_path, validation_fraction=0.2)
  assert dataset.num_examples == {"train": 8, "validation": 2, "test": 2}
  texts, _ = dataset.split_arrays("test")
  assert sorted(texts.tolist()) == [b"Bad.", b"Fine."]


def test_folder_with_validation_keeps_it(tmp_path):
  _write_csv(tmp_path / "train.csv", _rows(3))
  _write_csv(tmp_path / "validation.csv", [("Okay.", "pos")])
  _write_csv(tmp_path / "test.csv", [("Fine.", "pos"), ("Bad.", "neg")])
  assert _load(tmp_path).num_examples == {"train": 6, "validation": 1, "test": 2}


def test_extra_columns_header_case_bom_and_quoted_line_breaks(tmp_path):
  path = tmp_path / "extra.csv"
  content = "id,Label,TEXT,source\n1,pos,\"Line one,\nline two\",web\n2,neg,\"He said \"\"no\"\".\",web\n"
  content += "".join(f"{i + 3},{label},\"{text}\",web\n" for i, (text, label) in enumerate(_rows(3)))
  path.write_bytes(b"\xef\xbb\xbf" + content.encode("utf-8"))
  dataset = _load(path, validation_fraction=0.0, test_fraction=0.2)
  texts = {t for split in ("train", "test") for t in dataset.split_arrays(split)[0].tolist()}
  assert b"Line one,\nline two" in texts and b'He said "no".' in texts


def test_integer_labels_sort_numerically(tmp_path):
  rows = [(f"text {i}", label) for i, label in enumerate(["2", "10", "1"] * 4)]
  dataset = _load(_write_csv(tmp_path / "n.csv", rows), validation_fraction=0.0)  # 4 a class: too few to carve one
  assert dataset.label_names == ("1", "2", "10")


def test_blank_rows_are_skipped_with_a_warning(tmp_path, caplog):
  path = _write_csv(tmp_path / "blank.csv", _rows(3) + [("", "pos"), ("   ", "neg"), ("No label", "")])
  with caplog.at_level(logging.WARNING):
    dataset = _load(path, validation_fraction=0.0)  # 3 a class: too few to carve a validation split
  assert sum(dataset.num_examples.values()) == 6
  assert "Skipped 3 row(s)" in caplog.text


def test_missing_file(tmp_path):
  with pytest.raises(DataError, match="does not exist"):
    _load(tmp_path / "nope.csv")


def test_folder_without_train_csv(tmp_path):
  _write_csv(tmp_path / "test.csv", _rows(2))
  with pytest.raises(DataError, match="has no train.csv"):
    _load(tmp_path)


def test_missing_columns_lists_the_columns_found(tmp_path):
  path = _write_csv(tmp_path / "cols.csv", _rows(2), header="review,sentiment")
  with pytest.raises(DataError) as error:
    _load(path)
  assert "has no column(s) text, label (found: review, sentiment)" in str(error.value)


def test_non_utf8_names_the_line_and_suggests_iconv(tmp_path):
  path = tmp_path / "latin1.csv"
  path.write_bytes("text,label\nGood film,pos\nBad,neg\nCaf\xe9 scene,pos\n".encode("latin-1"))
  with pytest.raises(DataError) as error:
    _load(path)
  message = str(error.value)
  assert f"{path} is not UTF-8" in message and "line 4" in message
  assert "iconv -f latin1 -t utf-8" in message


def test_unclosed_quote_at_the_end_names_where_it_opens(tmp_path):
  path = tmp_path / "open.csv"
  path.write_text('text,label\n"fine",pos\n"never closed,neg\nmore text\n')
  with pytest.raises(DataError, match="a quoted field that starts on line 3 is never closed"):
    _load(path)


def test_utf16_is_named_with_the_right_iconv(tmp_path):
  path = tmp_path / "utf16.csv"
  path.write_bytes("text,label\nGood,pos\nBad,neg\n".encode("utf-16"))
  with pytest.raises(DataError) as error:
    _load(path)
  assert "is utf-16" in str(error.value) and "iconv -f utf-16 -t utf-8" in str(error.value)


def test_a_long_field_is_read(tmp_path):
  long_text = "word " * 40000  # 200,000 characters: over the csv module's default field limit
  rows = [(long_text, "pos"), ("short", "neg")] + _rows(6)
  dataset = _load(_write_csv(tmp_path / "long.csv", rows), validation_fraction=0.0)
  texts = [t for split in ("train", "test") for t in dataset.split_arrays(split)[0].tolist()]
  assert long_text.encode() in texts


def test_file_without_usable_rows(tmp_path):
  with pytest.raises(DataError, match="has no rows with both a text and a label"):
    _load(_write_csv(tmp_path / "empty.csv", [("", "pos")]))
  (tmp_path / "nothing.csv").write_text("")
  with pytest.raises(DataError, match="is empty"):
    _load(tmp_path / "nothing.csv")


def test_a_single_class_is_an_error(tmp_path):
  with pytest.raises(DataError, match=r"1 distinct label\(s\) \(pos\); a classifier needs at least 2"):
    _load(_write_csv(tmp_path / "one.csv", [(text, "pos") for text in _REVIEWS["pos"]]))


def test_test_label_missing_from_train_is_an_error(tmp_path):
  _write_csv(tmp_path / "train.csv", _rows(3))
  _write_csv(tmp_path / "test.csv", [("Meh.", "neutral"), ("Fine.", "pos")])
  with pytest.raises(DataError, match="has label\\(s\\) that .*train.csv lacks: neutral"):
    _load(tmp_path)


@pytest.mark.parametrize("body, fragment", [('"bad" quote",neg\n', "not valid CSV near line 3"),
                                            ('"never closed,neg\n', "in the record that starts on line 3")])
def test_bad_quoting_names_the_line(tmp_path, body, fragment):
  # The quote opened on line 3 swallows the line break and is closed by the first quote of line 4.
  path = tmp_path / "quotes.csv"
  path.write_text('text,label\n"fine",pos\n' + body + '"ok",neg\n')
  with pytest.raises(DataError, match=fragment):
    _load(path)
