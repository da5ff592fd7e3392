"""Tests of benchmark/machine.py."""

from benchmark.machine import describe_machine


def test_the_machine_is_described():
  machine = describe_machine()
  assert set(machine) == {"cpu", "cores", "memory_gib", "system", "python", "versions", "date", "load_average"}
  assert machine["cores"] >= 1 and machine["cpu"]
  assert machine["versions"]["tensorflow"] and machine["versions"]["ai-edge-litert"]
