#!/usr/bin/env bash
# Sets up .venv and runs the test suite in two processes, leaving out the longer end-to-end tests marked slow.
# Options pass through to pytest after these, so they win: -m "" runs every test, -n 0 runs in this process only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -n 2 --dist loadfile -m "not slow" "$@"
