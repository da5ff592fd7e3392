r"""Starts N local workers of a MultiWorkerMirroredStrategy cluster, each with its own TF_CONFIG, and streams
their output with a worker prefix. Ctrl-C or the first failing worker stops them all.

  python tools/local_cluster.py --num_workers=2 -- tools/train.py --model=cnn --dataset=digits \
      --model_dir=runs/digits_mw --strategy=multi_worker_mirrored --batch_size=64
"""

import sys

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

_NUM_WORKERS = flags.DEFINE_integer("num_workers", 2, "Number of local worker processes.", lower_bound=1)
_TIMEOUT = flags.DEFINE_float("timeout", None, "Stop every worker after this many seconds.")


def main(argv):
  if len(argv) < 2:
    raise app.UsageError("Give the command the workers run after '--', e.g. -- tools/train.py ... "
                         "--strategy=multi_worker_mirrored")
  from tfmodels.training.local_cluster import LocalCluster, main_command  # pylint: disable=g-import-not-at-top
  sys.exit(LocalCluster(main_command(argv[1:]), _NUM_WORKERS.value).run(_TIMEOUT.value))


if __name__ == "__main__":
  app.run(main)
