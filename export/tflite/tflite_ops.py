"""What a `.tflite` file asks of the runtime: its operators, their versions, and any op outside TFLite's builtins.

The file is read with the flatbuffer schema that ships with LiteRT (`ai_edge_litert.schema_py_generated`), so no
interpreter is needed: a model whose ops the runtime lacks still gets listed. Select TF ops appear as custom ops
named `Flex<TfOp>`; the pip LiteRT runtime has no Flex delegate and cannot run them.
"""

from __future__ import annotations

import collections
import dataclasses
import os

from ai_edge_litert import schema_py_generated as schema

_BUILTIN_NAMES = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
_FLEX_PREFIX = "Flex"
_FLOAT_TYPES = (schema.TensorType.FLOAT32, schema.TensorType.FLOAT16, schema.TensorType.FLOAT64,
                schema.TensorType.BFLOAT16)


@dataclasses.dataclass(frozen=True)
class TfliteOps:
  """The operators of a TFLite model.

  Attributes:
    ops: `(name, version)` -> number of uses, over all subgraphs; a custom op is named by its custom code.
    custom_ops: names of the custom ops among `ops`, Flex (Select TF) ops included.
    variable_tensors: tensors the runtime keeps between invocations (e.g. the state of a fused LSTM); a model with
      any must have its variables reset (`Interpreter.reset_all_variables()`) before each independent input.
    float_ops: name -> uses of the operators that read or write a floating-point tensor (constants included); none
      in a model that an integer-only target (a microcontroller, an NPU) can run whole.
  """

  ops: dict[tuple[str, int], int]
  custom_ops: tuple[str, ...]
  variable_tensors: int
  float_ops: dict[str, int] = dataclasses.field(default_factory=dict)

  @classmethod
  def read(cls, path: str | os.PathLike, signature: str | None = None) -> "TfliteOps":
    """Lists the operators of the `.tflite` file at `path` (of one signature's subgraph when `signature` is given)."""
    with open(path, "rb") as f:
      return cls.parse(f.read(), signature)

  @classmethod
  def parse(cls, content: bytes, signature: str | None = None) -> "TfliteOps":
    """Lists the operators of a TFLite flatbuffer (of one signature's subgraph when `signature` is given).

    Raises:
      ValueError: the model has no such signature.
    """
    model = schema.Model.GetRootAsModel(content, 0)
    subgraphs = range(model.SubgraphsLength())
    if signature is not None:
      keys = {model.SignatureDefs(i).SignatureKey().decode("utf-8"): model.SignatureDefs(i).SubgraphIndex()
              for i in range(model.SignatureDefsLength())}
      if signature not in keys:
        raise ValueError(f"The model has no signature {signature!r}; it has {sorted(keys)}.")
      subgraphs = [keys[signature]]
    codes = []
    for i in range(model.OperatorCodesLength()):
      code = model.OperatorCodes(i)
      # Codes past 127 live in BuiltinCode; older files only fill the deprecated 8-bit field.
      builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
      if builtin == schema.BuiltinOperator.CUSTOM:
        codes.append((code.CustomCode().decode("utf-8"), code.Version(), True))
      else:
        codes.append((_BUILTIN_NAMES.get(builtin, f"BUILTIN_{builtin}"), code.Version(), False))
    uses: collections.Counter = collections.Counter()
    floats: collections.Counter = collections.Counter()
    variables = 0
    for s in subgraphs:
      subgraph = model.Subgraphs(s)
      for o in range(subgraph.OperatorsLength()):
        operator = subgraph.Operators(o)
        name, version, _ = codes[operator.OpcodeIndex()]
        uses[(name, version)] += 1
        # (`...AsNumpy()` gives 0, not an empty array, for an operator without inputs or outputs.)
        tensors = [*(operator.InputsAsNumpy() if operator.InputsLength() else ()),
                   *(operator.OutputsAsNumpy() if operator.OutputsLength() else ())]
        if any(int(t) >= 0 and subgraph.Tensors(int(t)).Type() in _FLOAT_TYPES for t in tensors):
          floats[name] += 1
      variables += sum(bool(subgraph.Tensors(t).IsVariable()) for t in range(subgraph.TensorsLength()))
    custom = tuple(sorted({name for name, _, is_custom in codes if is_custom}))
    return cls(ops=dict(sorted(uses.items())), custom_ops=custom, variable_tensors=variables,
               float_ops=dict(sorted(floats.items())))

  @property
  def count(self) -> int:
    """Operator uses in all."""
    return sum(self.ops.values())

  @property
  def flex_ops(self) -> tuple[str, ...]:
    """The Select TF ops (`Flex...`), which need TensorFlow's Flex delegate."""
    return tuple(name for name in self.custom_ops if name.startswith(_FLEX_PREFIX))

  @property
  def integer_only(self) -> bool:
    """Whether no operator reads or writes a floating-point tensor."""
    return not self.float_ops

  @property
  def builtin_only(self) -> bool:
    """Whether every op is a TFLite builtin."""
    return not self.custom_ops

  def names(self) -> list[str]:
    """Op names with versions, e.g. `CONV_2D v3`, sorted."""
    return [f"{name} v{version}" for name, version in self.ops]

  def to_dict(self) -> dict:
    """JSON-ready form for reports."""
    return {"ops": [{"name": name, "version": version, "count": count} for (name, version), count in self.ops.items()],
            "custom_ops": list(self.custom_ops), "flex_ops": list(self.flex_ops),
            "variable_tensors": self.variable_tensors, "float_ops": dict(self.float_ops),
            "integer_only": self.integer_only}
