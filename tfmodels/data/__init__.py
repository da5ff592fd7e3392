"""Data sets: built-in TFDS sets over package-shipped files, the user's own images and CSVs, and text corpora."""

from tfmodels.data.corpus_loader import load_corpus
from tfmodels.data.data_error import DataError
from tfmodels.data.dataset_loader import load_dataset, source_path
from tfmodels.data.loaded_dataset import LoadedDataset
from tfmodels.data.block_plan import SPLIT_NAMES
from tfmodels.data.text_corpus import TextCorpus
from tfmodels.dataset_names import CORPUS_NAMES, TEXT_PREFIX, TFDS_PREFIX, is_corpus

__all__ = ["CORPUS_NAMES", "DataError", "LoadedDataset", "SPLIT_NAMES", "TEXT_PREFIX", "TFDS_PREFIX", "TextCorpus", "is_corpus", "load_corpus",
           "load_dataset", "source_path"]
