"""Data sets: built-in TFDS sets over package-shipped files, and the user's own images and CSVs."""

from tfmodels.data.data_error import DataError
from tfmodels.data.dataset_loader import load_dataset
from tfmodels.data.loaded_dataset import LoadedDataset

__all__ = ["DataError", "LoadedDataset", "load_dataset"]
