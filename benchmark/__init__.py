"""Side-by-side speed and size benchmarks of the project against what users would use instead.

`tools/benchmark.py` runs `BenchmarkSuite`; each measurement runs in a worker subprocess of its own
(`WorkerProcess`) whose threads are pinned before TensorFlow, PyTorch or LiteRT start. Nothing here is imported by
the training, export or edge code.
"""
