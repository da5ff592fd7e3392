"""How a `--dataset` value names its data, and which models can learn from it.

Imports nothing of TensorFlow: a model given data it cannot learn from is named before TensorFlow's start-up, and
before any setting is chosen for the pair.
"""

from __future__ import annotations

from tfmodels.config import ConfigError, ModelConfig

IMAGES_PREFIX = "images:"
CSV_PREFIX = "csv:"
TEXT_PREFIX = "text:"
TFDS_PREFIX = "tfds:"
# Built-in text corpora, for the language models.
CORPUS_NAMES = ("novels",)


def is_corpus(dataset_name: str) -> bool:
  """Whether `dataset_name` names a text corpus for language models (`novels` or `text:PATH`)."""
  return dataset_name in CORPUS_NAMES or dataset_name.startswith(TEXT_PREFIX)


def is_tfds(dataset_name: str) -> bool:
  return dataset_name.startswith(TFDS_PREFIX)


def corpus_is_not_labelled(dataset_name: str) -> str:
  """The refusal of a text corpus given where a labelled data set is needed."""
  return (f"'{dataset_name}' is a text corpus for the language models (--model=transformer_lm or lstm_lm), not a "
          "labelled data set. Use it with a language model, or give a classifier labelled data.")


def check_fits(dataset_name: str, model: ModelConfig) -> None:
  """Raises `ConfigError` naming both and the way out when `model` cannot learn from `dataset_name`.

  A `tfds:NAME` set may hold texts or labelled examples; which it is shows only once it is read.
  """
  if is_tfds(dataset_name):
    return
  if model.is_language_model and not is_corpus(dataset_name):
    raise ConfigError(
        f"Model '{model.name}' learns from running text, but '{dataset_name}' is a labelled data set. Use "
        f"--dataset=novels or --dataset={TEXT_PREFIX}PATH (a UTF-8 text file or a folder of .txt files), or a "
        "classifier (--model=cnn, lstm or transformer).")
  if not model.is_language_model and is_corpus(dataset_name):
    raise ConfigError(corpus_is_not_labelled(dataset_name))


def check_pretrain_corpus(corpus_name: str) -> None:
  """Raises `ConfigError` when `corpus_name` names no unlabelled text (`--pretrain_corpus`)."""
  if not (is_corpus(corpus_name) or is_tfds(corpus_name)):
    raise ConfigError(
        f"--pretrain_corpus={corpus_name} is not a text corpus. Name unlabelled text: novels, {TEXT_PREFIX}PATH (a "
        f"UTF-8 text file or a folder of .txt files) or {TFDS_PREFIX}NAME (a TFDS set of texts).")
