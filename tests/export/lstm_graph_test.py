"""Tests of export/tflite/lstm_graph.py: the fused and unrolled LSTM graphs give the Keras model's logits, in TFLite too."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.lite.tools import flatbuffer_utils

from ai_edge_litert import schema_py_generated as schema
from edge.op_delegation import OpDelegation
from export.tflite.lstm_graph import fused_lstm_logits, unrolled_lstm_logits
from export.tflite.tflite_conversion import convert, fused_lstm_ops, write_conversion_saved_model
from export.tflite.tflite_ops import TfliteOps
from export.verification import GateRunner
from tests.testing.model_test_case import DIGITS_VOCAB_SIZE, digits_token_ids
from tfmodels.models.lstm_classifier import LstmClassifier


# The first rows of the digits images as token sequences: short, which keeps the unrolled graphs quick to build.
SEQUENCE_LENGTH = 16


def _token_ids(count: int) -> np.ndarray:
  """Real token-id sequences (digits pixels) cut to lengths 0..16 and padded with 0 at the end, as texts are."""
  ids = digits_token_ids()[0][:count, 24:24 + SEQUENCE_LENGTH].copy()
  lengths = np.linspace(0, SEQUENCE_LENGTH, count).astype(int)
  ids[np.arange(SEQUENCE_LENGTH)[None, :] >= lengths[:, None]] = 0
  return ids


def _model(bidirectional: bool) -> LstmClassifier:
  keras.utils.set_random_seed(1)
  model = LstmClassifier(num_classes=3, vocab_size=DIGITS_VOCAB_SIZE, sequence_length=SEQUENCE_LENGTH,
                         embedding_dim=8, lstm_units=6, bidirectional=bidirectional)
  # Larger weights than the initializer's, so that the cell state leaves [-1, 1] as in a trained model.
  rng = np.random.default_rng(0)
  model.set_weights([w + rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
  return model


@pytest.mark.parametrize("bidirectional", [True, False])
def test_fused_and_unrolled_graphs_match_keras_including_padding(bidirectional):
  model, ids = _model(bidirectional), _token_ids(40)
  expected = model(ids).numpy()
  np.testing.assert_allclose(fused_lstm_logits(model, tf.constant(ids)).numpy(), expected, atol=1e-5)
  np.testing.assert_allclose(unrolled_lstm_logits(model, tf.constant(ids)).numpy(), expected, atol=1e-5)


@pytest.fixture(scope="module")
def conversion_model(tmp_path_factory):
  model = _model(bidirectional=True)
  path = str(tmp_path_factory.mktemp("lstm") / "conversion")
  spec = tf.TensorSpec((1, SEQUENCE_LENGTH), tf.int32, name="token_ids")
  write_conversion_saved_model(lambda token_ids: fused_lstm_logits(model, token_ids), spec, path)
  representative = str(tmp_path_factory.getbasetemp() / "lstm_representative.npy")
  np.save(representative, _token_ids(30))
  return model, path, representative


def test_float32_tflite_holds_fused_lstms_and_matches_keras(conversion_model, tmp_path):
  model, saved_model, representative = conversion_model
  path = tmp_path / "lstm.tflite"
  path.write_bytes(convert(saved_model, "float32", "text", representative))
  ops = TfliteOps.read(path)
  assert ops.ops[("UNIDIRECTIONAL_SEQUENCE_LSTM", 1)] == 2 and ops.builtin_only
  assert ops.variable_tensors == 4  # h and c of each direction
  # Keras' LSTM has no cell clip: the float kernels must not clip either.
  tflite = flatbuffer_utils.read_model(str(path))
  assert [op.builtinOptions.cellClip for _, op in fused_lstm_ops(tflite)] == [0.0, 0.0]
  ids = _token_ids(40)
  np.testing.assert_allclose(GateRunner(str(path)).logits(ids), model(ids).numpy(), atol=1e-4)


def test_full_int8_cell_state_range_covers_the_cell_clip(conversion_model):
  _, saved_model, representative = conversion_model
  tflite = flatbuffer_utils.read_model_from_bytearray(convert(saved_model, "full_int8", "text", representative))
  subgraph = tflite.subgraphs[0]
  scales = [subgraph.tensors[op.inputs[19]].quantization.scale[0] for op in subgraph.operators
            if tflite.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM]
  # int16 with scale 2**-11 holds +-16, beyond the op's cell clip of 10.
  assert scales == [2.0 ** -11, 2.0 ** -11]


def test_xnnpack_runs_every_step_of_the_unrolled_graph(tmp_path):
  # Keras' own unrolled LSTM kept its states with SELECT_V2 at every step (34 XNNPACK partitions for 64 steps).
  model = _model(bidirectional=True)
  saved_model = str(tmp_path / "conversion")
  write_conversion_saved_model(lambda token_ids: unrolled_lstm_logits(model, token_ids),
                               tf.TensorSpec((None, SEQUENCE_LENGTH), tf.int32, name="token_ids"), saved_model)
  ids = _token_ids(40)
  for mode in ("float32", "dynamic_int8"):
    path = tmp_path / f"{mode}.tflite"
    path.write_bytes(convert(saved_model, mode, "text", ""))
    ops = TfliteOps.read(path)
    # Two SELECT_V2 in all: the embedding lookups' wrap of negative ids (one per direction), none per step.
    assert sum(count for (name, _), count in ops.ops.items() if name == "SELECT_V2") <= 2
    assert ops.variable_tensors == 0
    delegation = OpDelegation.of_file(str(path))
    # Outside XNNPACK only what the fused graph has too (the lookups, the lengths, the read-out) and the stacking
    # of the steps' outputs: nothing per step.
    undelegated = delegation.undelegated
    assert delegation.partitions <= 2, delegation.summary()
    assert not {"STRIDED_SLICE", "SPLIT", "FULLY_CONNECTED", "LOGISTIC", "TANH", "MUL"} & set(undelegated), undelegated
    assert undelegated.get("SELECT_V2", 0) <= 2, undelegated
    np.testing.assert_allclose(GateRunner(str(path)).logits(ids), model(ids).numpy(),
                               atol=1e-4 if mode == "float32" else 0.1)
