"""Tests of benchmark/machine.py."""

from benchmark.machine import describe_machine


def test_the_machine_is_described():
  machine = describe_machine()
  assert set(machine) == {"cpu", "cores", "memory_gib", "system", "python", "versions", "date", "load_average"}
  assert machine["cores"] >= 1 and machine["cpu"]
  assert machine["versions"]["tensorflow"] and machine["versions"]["ai-edge-litert"]


def test_a_command_line_keeps_no_path_of_the_machine_it_ran_on():
  from benchmark.machine import command_line  # pylint: disable=g-import-not-at-top
  argv = ["--model_dirs=transformer_lm=/tmp/gen/lm,lstm_lm=~/runs/lstm", "--work_dir=/tmp/work", "--sets=mnist_5k",
          "--json=benchmarks/results.json"]
  assert command_line("tools/benchmark_generation.py", argv) == (
      "python tools/benchmark_generation.py --model_dirs=transformer_lm=DIR,lstm_lm=DIR --work_dir=DIR "
      "--sets=mnist_5k --json=benchmarks/results.json")
