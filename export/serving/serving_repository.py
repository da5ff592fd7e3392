"""The serving repository `OUT/serving/`: the versions TF Serving loads and the files it reads.

  OUT/serving/models.config             `--model_config_file`: a text-format `ModelServerConfig` with every model
                                        that has a published version, its version labels and version policy
  OUT/serving/batching_parameters.txt   `--batching_parameters_file` (written once; edits are kept)
  OUT/serving/<model>/<version>/        SavedModels (`saved_model_export`), each with its warmup requests

`models.config` names each model's directory as the server sees it: `<base_path>/<model>`, `base_path` being
where `OUT/serving` is mounted in the server's container (`/models` unless told otherwise; kept from the previous
`models.config` when not given). A model with version labels is served with a `specific` version policy listing
the labelled versions and the newest one (TF Serving can label only versions it has loaded); a model without labels
is served with the default policy, its newest version. Every file is written atomically, and a pruned version is
renamed out of the server's sight before it is deleted.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from collections.abc import Callable, Iterable, Mapping

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from export.serving import serving_versions
from export import work_directories
from export.serving.batching_parameters import BatchingParameters
from export.export_error import ExportError
from tfmodels.atomic_files import write_text

MODELS_CONFIG = "models.config"
BATCHING_PARAMETERS = "batching_parameters.txt"
DEFAULT_BASE_PATH = "/models"
# TF Serving's REST API accepts only word characters in a label (`/v1/models/NAME/labels/LABEL`).
_LABEL_NAME = re.compile(r"[A-Za-z0-9_]+")
_CONFIG_HEADER = ("# TF Serving --model_config_file. Rewritten by every export and by tools/serving_repository.py "
                  "(version labels are kept);\n# hand edits are lost.\n")
_BATCHING_HEADER = ("# TF Serving --batching_parameters_file (with --enable_batching), shared by every model on the "
                    "server.\n# Written once with the defaults README \"Deploy\" explains; edits are kept.\n")


def parse_labels(specs: Iterable[str]) -> dict[str, int]:
  """Parses `NAME=VERSION` strings (e.g. `stable=3`) into {label: version}.

  Raises:
    ExportError: a string is not `NAME=VERSION` with a word-character name and an integer version >= 1.
  """
  labels = {}
  for spec in specs:
    name, _, version = spec.partition("=")
    if not _LABEL_NAME.fullmatch(name) or not version.isdigit() or int(version) < 1:
      raise ExportError(f"--label={spec}: write NAME=VERSION, e.g. --label=stable=3 (NAME of letters, digits and "
                        "underscores, as TF Serving's REST API requires; VERSION a published version >= 1).")
    labels[name] = int(version)
  return labels


def check_options(keep: int | None = None, base_path: str | None = None) -> None:
  """Checks `--keep` and `--serving_base_path` before anything is written.

  Raises:
    ExportError: `keep` < 1, or `base_path` is empty.
  """
  if keep is not None and keep < 1:
    raise ExportError(f"--keep={keep}: keep at least 1 version (the newest).")
  if base_path is not None and not base_path.strip():
    raise ExportError("--serving_base_path is empty: give the directory where the server sees OUT/serving, e.g. "
                      f"{DEFAULT_BASE_PATH} (the docker -v mount point).")


class ServingRepository:
  """The serving repository under `root` (`OUT/serving`).

  Args:
    root: the directory holding one directory per model.
  """

  def __init__(self, root: str):
    self.root = root

  @classmethod
  def existing(cls, root: str) -> "ServingRepository":
    """The repository at `root`, which an export has written.

    Raises:
      ExportError: `root` does not exist or is not a folder.
    """
    if not os.path.isdir(root):
      problem = "is a file" if os.path.exists(root) else "does not exist"
      raise ExportError(f"{root} {problem}: give the serving folder an export wrote (EXPORT_DIR/serving, with "
                        "one folder per model and models.config).")
    return cls(root)

  @property
  def config_path(self) -> str:
    return os.path.join(self.root, MODELS_CONFIG)

  @property
  def batching_path(self) -> str:
    return os.path.join(self.root, BATCHING_PARAMETERS)

  def model_root(self, name: str) -> str:
    return os.path.join(self.root, name)

  def versions(self, name: str) -> list[int]:
    """The published versions of model `name`, oldest first."""
    return serving_versions.existing_versions(self.model_root(name))

  def model_names(self) -> list[str]:
    """The models with at least one published version."""
    if not os.path.isdir(self.root):
      return []
    return sorted(name for name in os.listdir(self.root)
                  if not name.startswith(".") and os.path.isdir(self.model_root(name)) and self.versions(name))

  def read_config(self) -> model_server_config_pb2.ModelServerConfig | None:
    """The current `models.config`, or None when there is none.

    Raises:
      ExportError: the file is not a text-format `ModelServerConfig`.
    """
    if not os.path.exists(self.config_path):
      return None
    with open(self.config_path, encoding="utf-8") as f:
      text = f.read()
    try:
      return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())
    except text_format.ParseError as error:
      raise ExportError(f"{self.config_path} is not a text-format ModelServerConfig ({error}). Fix it, or delete it "
                        "to have it written again (its version labels are then lost).") from None

  def labels(self) -> dict[str, dict[str, int]]:
    """{model: {label: version}} as the current `models.config` has them."""
    config = self.read_config()
    if config is None:
      return {}
    return {entry.name: dict(entry.version_labels) for entry in config.model_config_list.config}

  def base_path(self) -> str:
    """Where the server finds this directory: the one the current `models.config` uses, else `/models`."""
    config = self.read_config()
    entries = config.model_config_list.config if config else []
    return posixpath.dirname(entries[0].base_path.rstrip("/")) if entries else DEFAULT_BASE_PATH

  def batching_parameters(self) -> BatchingParameters:
    """The parameters of `batching_parameters.txt`, or the defaults when there is none yet.

    Raises:
      ExportError: the file is not a valid `BatchingParameters` proto.
    """
    if not os.path.exists(self.batching_path):
      return BatchingParameters()
    with open(self.batching_path, encoding="utf-8") as f:
      return BatchingParameters.parse(f.read(), self.batching_path)

  def new_labels(self, name: str, set_labels: Mapping[str, int] | None = None, remove_labels: Iterable[str] = (),
                 pending_version: int | None = None) -> dict[str, int]:
    """The labels of model `name` after setting `set_labels` and removing `remove_labels`; checks them.

    Args:
      name: the model.
      set_labels: {label: version} to add or move.
      remove_labels: labels to drop.
      pending_version: a version about to be published, which a label may already point at.

    Raises:
      ExportError: a label to remove does not exist, or a label points at a version that is not published.
    """
    labels = self.labels().get(name, {})
    for label in remove_labels:
      if labels.pop(label, None) is None and label not in (set_labels or {}):
        raise ExportError(f"--remove_label={label}: {name} has no label {label} (labels: "
                          f"{_listing(sorted(labels)) or 'none'}).")
    labels.update(set_labels or {})
    published = self.versions(name)
    for label, version in sorted(labels.items()):
      if version not in published and version != pending_version:
        pending = f"; version {pending_version} is being exported" if pending_version else ""
        raise ExportError(f"Label {label} points at version {version} of {name}, which is not published (published: "
                          f"{_listing(published) or 'none'}{pending}). Point it at one of those, or remove it with "
                          f"--remove_label={label}.")
    return labels

  def prune(self, name: str, keep: int, protect: Iterable[int] = ()) -> list[int]:
    """Deletes all but the `keep` newest versions of `name`, sparing `protect` (the labelled versions, say).

    The newest version is always kept. Each deleted version is first renamed out of the server's sight, so the
    server unloads it whole. Returns the deleted versions.
    """
    check_options(keep=keep)
    versions = self.versions(name)
    spared = set(versions[-keep:]) | set(protect)
    removed = [version for version in versions if version not in spared]
    for version in removed:
      retired = work_directories.make(self.model_root(name), f".pruned-{version}-")
      os.rename(os.path.join(self.model_root(name), str(version)),
                os.path.join(retired, work_directories.RETIRED_CONTENT))
      shutil.rmtree(retired, ignore_errors=True)
    return removed

  def write_config(self, labels: Mapping[str, Mapping[str, int]] | None = None, base_path: str | None = None,
                   log: Callable[[str], None] = print) -> model_server_config_pb2.ModelServerConfig:
    """Writes `models.config` for every model with a published version; returns it.

    Args:
      labels: {model: {label: version}} for the models whose labels change; the others keep theirs.
      base_path: where the server sees this directory (default: as before, else `/models`).
      log: where a note goes when a label is dropped because its version is gone.
    """
    check_options(base_path=base_path)
    base_path = (base_path or self.base_path()).rstrip("/") or "/"
    all_labels = {**self.labels(), **(labels or {})}
    config = model_server_config_pb2.ModelServerConfig()
    for name in self.model_names():
      versions = self.versions(name)
      entry = config.model_config_list.config.add(name=name, base_path=posixpath.join(base_path, name),
                                                  model_platform="tensorflow")
      model_labels = {}
      for label, version in sorted(all_labels.get(name, {}).items()):
        if version in versions:
          model_labels[label] = version
        else:
          log(f"Label {label} of {name} dropped: version {version} is gone.")
      if model_labels:
        entry.model_version_policy.specific.versions.extend(sorted(set(model_labels.values()) | {versions[-1]}))
        for label, version in model_labels.items():
          entry.version_labels[label] = version
    write_text(self.config_path, _CONFIG_HEADER + text_format.MessageToString(config))
    return config

  def write_batching_parameters(self) -> BatchingParameters:
    """Writes `batching_parameters.txt` with the defaults when it is missing; returns the parameters in effect."""
    parameters = self.batching_parameters()
    if not os.path.exists(self.batching_path):
      write_text(self.batching_path, _BATCHING_HEADER + parameters.to_text())
    return parameters

  def update(self, name: str | None = None, *, set_labels: Mapping[str, int] | None = None,
             remove_labels: Iterable[str] = (), keep: int | None = None, protect: Iterable[int] = (),
             base_path: str | None = None,
             log: Callable[[str], None] = print) -> model_server_config_pb2.ModelServerConfig:
    """Changes the labels of model `name`, prunes it to `keep` versions, then rewrites the files the server reads.

    Returns the new `models.config`.
    """
    labels = {}
    if name is not None:
      if name not in self.model_names():
        raise ExportError(f"{self.root} holds no published version of {name} (models: "
                          f"{_listing(self.model_names()) or 'none'}). Export it first, or check the name.")
      labels[name] = self.new_labels(name, set_labels, remove_labels)
      if keep is not None:
        removed = self.prune(name, keep, protect=[*protect, *labels[name].values()])
        if removed:
          log(f"Pruned {name} versions {_listing(removed)} (--keep={keep}).")
    os.makedirs(self.root, exist_ok=True)
    config = self.write_config(labels, base_path, log)
    self.write_batching_parameters()
    return config

  def summary(self) -> list[str]:
    """One line per model: its versions, those `models.config` serves, and its labels."""
    config = self.read_config()
    entries = {entry.name: entry for entry in config.model_config_list.config} if config else {}
    lines = []
    for name in self.model_names():
      line = f"{name}: versions {_listing(self.versions(name))}"
      entry = entries.get(name)
      if entry is None:
        lines.append(f"{line}; not in models.config yet")
        continue
      policy = entry.model_version_policy
      line += f"; served {_listing(policy.specific.versions) if policy.HasField('specific') else 'the newest'}"
      labels = sorted(entry.version_labels.items())
      lines.append(line + (f"; labels {_listing(f'{label}={version}' for label, version in labels)}" if labels else ""))
    return lines or [f"No published model under {self.root}."]


def _listing(values: Iterable) -> str:
  return ", ".join(str(value) for value in values)
