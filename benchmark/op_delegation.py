"""Which operators of a `.tflite` model LiteRT hands to its default XNNPACK delegate, and which it runs itself.

LiteRT's Python interpreter has no per-operator profiler (nor does `benchmark_litert_model.py` in the wheel, which
times whole invocations), but it lists every node after delegation: the model's own operators, then one `DELEGATE`
node per partition XNNPACK took. Tracing each partition back from its outputs to its inputs tells which operators it
covers; the others run on LiteRT's built-in kernels. With the whole-model latency measured with and without the
delegate, this answers whether XNNPACK speeds a model up and which operators it leaves out.
"""

from __future__ import annotations

import collections
import dataclasses

from ai_edge_litert.interpreter import Interpreter, OpResolverType


@dataclasses.dataclass(frozen=True)
class OpDelegation:
  """Operators of a model, split by who runs them.

  Attributes:
    operators: every operator of the model by name, with its count.
    delegated: operators inside XNNPACK partitions, by name.
    undelegated: operators LiteRT's own kernels run, by name.
    partitions: number of XNNPACK partitions (each switch between XNNPACK and a built-in kernel costs time).
  """

  operators: dict[str, int]
  delegated: dict[str, int]
  undelegated: dict[str, int]
  partitions: int

  @classmethod
  def of_interpreter(cls, interpreter: Interpreter) -> "OpDelegation":
    """Reads the delegation of an interpreter built with the default op resolver (tensors allocated)."""
    nodes = interpreter._get_ops_details()  # pylint: disable=protected-access  (LiteRT's only node listing)
    own = [node for node in nodes if node["op_name"] != "DELEGATE"]
    delegates = [node for node in nodes if node["op_name"] == "DELEGATE"]
    producer = {int(tensor): node["index"] for node in own for tensor in node["outputs"]}
    by_index = {node["index"]: node for node in own}
    claimed: set[int] = set()
    for delegate in delegates:
      boundary = {int(tensor) for tensor in delegate["inputs"]}
      pending = [producer[int(tensor)] for tensor in delegate["outputs"] if int(tensor) in producer]
      while pending:
        index = pending.pop()
        if index in claimed:
          continue
        claimed.add(index)
        pending += [producer[int(tensor)] for tensor in by_index[index]["inputs"]
                    if int(tensor) >= 0 and int(tensor) not in boundary and int(tensor) in producer]
    count = lambda chosen: dict(sorted(collections.Counter(node["op_name"] for node in chosen).items()))
    return cls(operators=count(own), delegated=count(node for node in own if node["index"] in claimed),
               undelegated=count(node for node in own if node["index"] not in claimed), partitions=len(delegates))

  @classmethod
  def of_file(cls, path: str) -> "OpDelegation":
    """Reads the delegation LiteRT applies to the model in `path` by default."""
    interpreter = Interpreter(model_path=path, num_threads=1)
    interpreter.allocate_tensors()
    return cls.of_interpreter(interpreter)

  @property
  def fully_delegated(self) -> bool:
    """Whether XNNPACK runs every operator."""
    return not self.undelegated

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)

  def summary(self) -> str:
    """One line: how many operators XNNPACK runs, in how many partitions, and the names of the others."""
    total, left = sum(self.operators.values()), sum(self.undelegated.values())
    if not left:
      return f"XNNPACK runs all {total} operators ({self.partitions} partition{'s' * (self.partitions != 1)})"
    names = ", ".join(f"{name} x{count}" if count > 1 else name for name, count in self.undelegated.items())
    return (f"XNNPACK runs {total - left} of {total} operators in {self.partitions} partition"
            f"{'s' * (self.partitions != 1)}; LiteRT's own kernels run {names}")


def interpreter_without_xnnpack(path: str, num_threads: int) -> Interpreter:
  """An interpreter of `path` that runs every operator on LiteRT's built-in kernels (no default delegate)."""
  interpreter = Interpreter(model_path=path, num_threads=num_threads,
                            experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
  interpreter.allocate_tensors()
  return interpreter
