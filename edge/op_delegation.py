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

import numpy as np

from ai_edge_litert.interpreter import Interpreter, OpResolverType


def counted_operators(counts: dict[str, int]) -> str:
  """Operator names with their counts, as the reports write them: `ADD x2, CAST`."""
  return ", ".join(f"{name} x{count}" if count > 1 else name for name, count in counts.items())


# Operators XNNPACK has no kernel for in any type (read from the delegate's source), with what they do in our graphs.
_NO_KERNEL = {
    "GATHER": "XNNPACK has no GATHER kernel (an embedding lookup, at the input)",
    "CAST": "XNNPACK has no CAST kernel",
    "NOT_EQUAL": "XNNPACK has no comparison kernels",
    "LESS": "XNNPACK has no comparison kernels",
    "LOGICAL_AND": "XNNPACK has no logical kernels",
    "SELECT": "XNNPACK has no SELECT kernel",
    "SELECT_V2": "XNNPACK has no SELECT kernel",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "XNNPACK has no LSTM kernel",
    "WHILE": "control flow stays with LiteRT (the loop's body can be delegated)",
}
# Operators XNNPACK runs in float but not on int8 tensors.
_NO_INT8_KERNEL = ("SOFTMAX", "GELU", "RSQRT", "DIV", "SQUARED_DIFFERENCE", "TANH", "LOGISTIC", "SUM", "MEAN")
_INTEGER_TYPES = ("int32", "int64", "bool")


def undelegated_reason(op_name: str, tensor_types: set[str]) -> str:
  """Why XNNPACK leaves an operator to LiteRT, from its name and the types of its tensors (`float32`, `int8`...)."""
  if op_name in _NO_KERNEL:
    return _NO_KERNEL[op_name]
  if tensor_types and tensor_types <= set(_INTEGER_TYPES):
    return "index or mask arithmetic on int32/bool tensors, which XNNPACK does not take"
  if "int8" in tensor_types or "uint8" in tensor_types:
    if op_name == "BATCH_MATMUL":
      return "XNNPACK refuses int8 BATCH_MATMUL whose right operand has a non-zero zero point"
    if op_name in _NO_INT8_KERNEL:
      return f"XNNPACK has {op_name} for float tensors only, not int8"
  if "int16" in tensor_types:
    return "XNNPACK has no int16 kernels"
  return "XNNPACK declined its types or parameters"


@dataclasses.dataclass(frozen=True)
class OpDelegation:
  """Operators of a model, split by who runs them.

  Attributes:
    operators: every operator of the model by name, with its count.
    delegated: operators inside XNNPACK partitions, by name.
    undelegated: operators LiteRT's own kernels run, by name.
    partitions: number of XNNPACK partitions (each switch between XNNPACK and a built-in kernel costs time).
    reasons: undelegated operator name -> why XNNPACK left it (`undelegated_reason`).
  """

  operators: dict[str, int]
  delegated: dict[str, int]
  undelegated: dict[str, int]
  partitions: int
  reasons: dict[str, str] = dataclasses.field(default_factory=dict)

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
    types = {detail["index"]: np.dtype(detail["dtype"]).name for detail in interpreter.get_tensor_details()}
    reasons: dict[str, str] = {}
    for node in own:
      if node["index"] not in claimed and node["op_name"] not in reasons:
        tensors = [int(t) for t in (*node["inputs"], *node["outputs"]) if int(t) >= 0]
        reasons[node["op_name"]] = undelegated_reason(node["op_name"], {types[t] for t in tensors if t in types})
    return cls(operators=count(own), delegated=count(node for node in own if node["index"] in claimed),
               undelegated=count(node for node in own if node["index"] not in claimed), partitions=len(delegates),
               reasons=dict(sorted(reasons.items())))

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
    return (f"XNNPACK runs {total - left} of {total} operators in {self.partitions} partition"
            f"{'s' * (self.partitions != 1)}; LiteRT's own kernels run {counted_operators(self.undelegated)}")


def interpreter_without_xnnpack(path: str, num_threads: int) -> Interpreter:
  """An interpreter of `path` that runs every operator on LiteRT's built-in kernels (no default delegate)."""
  interpreter = Interpreter(model_path=path, num_threads=num_threads,
                            experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
  interpreter.allocate_tensors()
  return interpreter
