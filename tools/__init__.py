"""The command-line tools: `python tools/NAME.py` or `python -m tools.NAME` (thin: flags, then a library call)."""
