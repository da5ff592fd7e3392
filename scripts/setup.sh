#!/usr/bin/env bash
# Creates .venv with the pinned requirements (skipped when they have not changed since the last run).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))'; then
  echo "error: Python 3.10-3.13 is needed (found $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.x." >&2
  exit 1
fi
# Fashion-MNIST comes from a Debian package fetched with `apt-get download`, which needs the package lists.
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] && ! apt-cache show dataset-fashion-mnist >/dev/null 2>&1; then
  apt-get update -qq || echo "warning: apt-get update failed: the fashion_mnist data set cannot be fetched" >&2
fi
# TensorFlow Lite Support's compiled metadata modules (requirements-nodeps.txt) link libusb-1.0.
if ! ldconfig -p 2>/dev/null | grep -q 'libusb-1\.0\.so\.0'; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq libusb-1.0-0 >/dev/null || echo "warning: apt-get install libusb-1.0-0 failed: exports cannot write the metadata inside .tflite files" >&2
  else
    echo "warning: libusb-1.0 is missing: install it (Debian/Ubuntu: sudo apt-get install libusb-1.0-0), or exports cannot write the metadata inside .tflite files" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
wanted=$(cat requirements.txt requirements-nodeps.txt requirements-edge.txt pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
  # The project itself, editable (its packages are this folder's): every tool and test imports it from anywhere.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
  echo "$wanted" > "$stamp"
fi
