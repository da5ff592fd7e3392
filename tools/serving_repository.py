r"""Shows a TF Serving repository written by tools/export.py; moves version labels and prunes versions (no export).

  python tools/serving_repository.py --serving_dir=runs/digits_cnn/export/serving

Move a label once the server has loaded the version (TF Serving refuses to move a label in use to a version it has
not loaded yet), then drop the versions no longer needed:
  python tools/serving_repository.py --serving_dir=OUT/serving --model=digits_cnn --label=canary=4
  python tools/serving_repository.py --serving_dir=OUT/serving --model=digits_cnn --label=stable=4 \
      --remove_label=canary --keep=1
Each change rewrites OUT/serving/models.config, which the server reads again every
--model_config_file_poll_wait_seconds.
"""

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_SERVING_DIR = flags.DEFINE_string("serving_dir", None, "The repository: OUT/serving of an export.", required=True)
_MODEL = flags.DEFINE_string("model", None, "The model whose labels or versions change, e.g. digits_cnn.")
_LABEL = flags.DEFINE_multi_string("label", [], "Set a version label, NAME=VERSION (repeat for several).")
_REMOVE_LABEL = flags.DEFINE_multi_string("remove_label", [], "Drop a version label.")
_KEEP = flags.DEFINE_integer("keep", None, "Keep only this many newest versions (and the labelled ones).")
_SERVING_BASE_PATH = flags.DEFINE_string("serving_base_path", None, "Where TF Serving sees the repository (the docker "
                                         "-v mount point); default: as in models.config, else /models.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  changes_model = bool(_LABEL.value or _REMOVE_LABEL.value or _KEEP.value is not None)
  if changes_model and not _MODEL.value:
    raise app.UsageError("--label, --remove_label and --keep need --model=NAME.")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from export.serving import serving_repository  # pylint: disable=g-import-not-at-top
  with cli.user_errors_exit():
    repository = serving_repository.ServingRepository.existing(_SERVING_DIR.value)
    if changes_model or _SERVING_BASE_PATH.value is not None:
      serving_repository.check_options(_KEEP.value, _SERVING_BASE_PATH.value)
      repository.update(_MODEL.value, set_labels=serving_repository.parse_labels(_LABEL.value),
                        remove_labels=_REMOVE_LABEL.value, keep=_KEEP.value, base_path=_SERVING_BASE_PATH.value)
      print(f"Wrote {repository.config_path}")
    for line in repository.summary():
      print(line)


if __name__ == "__main__":
  app.run(main)
