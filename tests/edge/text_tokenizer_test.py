"""Tests of edge/text_tokenizer.py: token ids equal to Keras `TextVectorization`'s, without TensorFlow."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from edge import EdgeError, TextTokenizer
from tfmodels.config import DataConfig
from tfmodels.data import load_dataset

# Where a pure-Python tokenizer is most likely to part from TensorFlow's byte-level ops.
TRICKY_TEXTS = (
    "Élan vital ÉLAN",
    "ǅemal Ǆǆ ǲ Ǳ",
    "İstanbul ISTANBUL ıi",
    "Straße STRASSE ß ẞ",
    "ΟΔΥΣΣΕΥΣ Σοφός σοφός ς",
    "KELVIN \u212a OHM \u2126 Ａｂｃ fullwidth",
    "ﬁne ﬀ ligatures",
    "a,b.c!d?e don't l'amour",
    "...!!! ??? ---",
    "A-B_C~D|E^F`G@H#I$J%K&L*M+N=O<P>Q(R)S[T]U{V}W\\X/Y:Z;'\"",
    "tab\there\nnew  multiple   spaces\r\nCRLF\vvertical\fform",
    "",
    "   \t\n ",
    "emoji 😀 🎬👍🏽 family 👨‍👩‍👧",
    "curly “quotes” ‘single’ — dash … ellipsis « guillemets »",
    "nbsp\u00a0word thin\u2009space ideographic\u3000space",
    "line\u2028separator paragraph\u2029separator next\u0085line",
    "\x1c\x1d\x1e\x1f information separators",
    "zero\u200bwidth joiner\u200d soft\u00adhyphen",
    "CJK 映画はとても良かった 中文电影 한국어 영화",
    "mixed: Mañana, el NIÑO — ¿qué? ¡sí!",
    "the [UNK] token literally",
    "a\x00b interior nul",
)
_STANDARDIZE_OPTIONS = ("lower_and_strip_punctuation", "lower", "strip_punctuation", None)


def _keras_ids(vectorizer: keras.layers.TextVectorization, texts) -> np.ndarray:
  # A tf.string tensor, as in the training pipeline: numpy string arrays would drop trailing NUL characters.
  return np.asarray(vectorizer(tf.constant([t.encode("utf-8") if isinstance(t, str) else t for t in texts])))


def _adapted(texts, sequence_length: int, max_tokens: int, **options) -> keras.layers.TextVectorization:
  vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, output_mode="int",
                                              output_sequence_length=sequence_length, **options)
  vectorizer.adapt(tf.data.Dataset.from_tensor_slices(list(texts)).batch(1024))
  return vectorizer


@pytest.mark.parametrize("standardize, split", itertools.product(_STANDARDIZE_OPTIONS, ("whitespace", "character")))
def test_tricky_texts_match_keras(standardize, split):
  # Character splitting turns the NUL into a token that get_vocabulary() cannot return (see the module docstring).
  texts = [t for t in TRICKY_TEXTS if split == "whitespace" or "\x00" not in t]
  vectorizer = _adapted(texts * 2, 12, 500, standardize=standardize, split=split)
  tokenizer = TextTokenizer(vectorizer.get_vocabulary(), 12, standardize, split)
  unseen = ["never seen words here", "ΣΊΣΥΦΟΣ İİ ǄǄ unseen", "😀😀 ..."]
  np.testing.assert_array_equal(tokenizer.encode_batch(texts + unseen), _keras_ids(vectorizer, texts + unseen))


@pytest.mark.slow
def test_every_rotten_tomatoes_snippet_matches_keras():
  config = DataConfig(dataset="rotten_tomatoes")
  dataset = load_dataset(config)
  vectorizer = _adapted(dataset.split_arrays("train")[0], config.sequence_length, config.max_tokens)
  tokenizer = TextTokenizer(vectorizer.get_vocabulary(), config.sequence_length)
  texts = np.concatenate([dataset.split_arrays(split)[0] for split in ("train", "validation", "test")])
  assert len(texts) > 12000
  expected = _keras_ids(vectorizer, texts)
  actual = tokenizer.encode_batch(texts)
  differing = [texts[i] for i in np.flatnonzero((actual != expected).any(axis=1))]
  assert not differing, f"{len(differing)} snippets differ, e.g. {differing[:3]}"


def test_ids_are_padded_at_the_end_and_truncated_to_the_first_tokens():
  tokenizer = TextTokenizer(["", "[UNK]", "good", "film", "a"], 4)
  np.testing.assert_array_equal(tokenizer.encode("A good film"), [4, 2, 3, 0])
  np.testing.assert_array_equal(tokenizer.encode("a GOOD, good film indeed"), [4, 2, 2, 3])
  assert tokenizer.encode("").dtype == np.int32


def test_unknown_words_get_the_oov_id():
  tokenizer = TextTokenizer(["", "[UNK]", "good"], 3)
  np.testing.assert_array_equal(tokenizer.encode("good grief [UNK]"), [2, 1, 1])


def test_lowercasing_is_ascii_only_like_tensorflow():
  tokenizer = TextTokenizer(["", "[UNK]"], 4)
  assert tokenizer.tokenize("ÉLAN İstanbul ΣΑ Big") == ["Élan", "İstanbul", "ΣΑ", "big"]


def test_only_ascii_whitespace_splits():
  tokenizer = TextTokenizer(["", "[UNK]"], 4)
  assert tokenizer.tokenize(" a\u00a0b\tc\u2028d\n") == ["a\u00a0b", "c\u2028d"]


def test_bytes_are_decoded_as_utf8():
  tokenizer = TextTokenizer(["", "[UNK]", "élan"], 2)
  np.testing.assert_array_equal(tokenizer.encode("Élan".encode("utf-8")), tokenizer.encode("Élan"))
  with pytest.raises(EdgeError, match="not valid UTF-8"):
    tokenizer.encode(b"\xff\xfe broken")


def test_unencodable_text_is_an_error_that_says_how_to_convert_it():
  with pytest.raises(EdgeError, match=r"characters with no UTF-8 form .* at character 5\)\. Convert the text to "
                                      r"UTF-8 first .*iconv -f latin1 -t utf-8"):
    TextTokenizer(["", "[UNK]"], 2).encode("lone \ud800 surrogate")
  # A command-line argument in Latin-1 reaches Python as escaped bytes: they are named as such.
  latin1 = b"caf\xe9 noir".decode("utf-8", "surrogateescape")
  with pytest.raises(EdgeError, match=r"bytes that are not UTF-8 \(b'\\xe9' at character 3\)"):
    TextTokenizer(["", "[UNK]"], 2).encode(latin1)


def test_encode_batch_of_nothing_has_the_sequence_length():
  assert TextTokenizer(["", "[UNK]"], 5).encode_batch([]).shape == (0, 5)


@pytest.mark.parametrize("arguments, message", [
    ((["[UNK]", ""], 4), "must start with"),
    ((["", "[UNK]"], 0), "sequence_length"),
    ((["", "[UNK]"], 4, "upper"), "standardize"),
    ((["", "[UNK]"], 4, "lower", "comma"), "split"),
])
def test_invalid_arguments(arguments, message):
  with pytest.raises(EdgeError, match=message):
    TextTokenizer(*arguments)
