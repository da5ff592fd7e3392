"""Tests of edge/tflite_runner.py: the loop the gate, the edge classifier and the benchmark share."""

import numpy as np
import pytest

from edge.tflite_runner import TfliteRunner


def test_one_at_a_time_and_in_batches_give_the_same_logits(sentiment_models):
  runner = TfliteRunner.from_file(sentiment_models.tflite["float32"])
  inputs = sentiment_models.inputs[:9]
  one_by_one = runner.logits(inputs)
  assert runner.seconds_per_example > 0
  np.testing.assert_allclose(runner.logits(inputs, batch_size=4, timed=False), one_by_one, atol=1e-5)
  assert one_by_one.shape == (9, runner.output.shape[-1]) and one_by_one.dtype == np.float32


def test_a_fixed_batch_file_pads_its_last_batch_and_refuses_another_size(sentiment_models):
  runner = TfliteRunner.from_file(sentiment_models.tflite["batch3_float32"])
  assert runner.fixed_batch_size == 3 and not runner.any_batch_size
  reference = TfliteRunner.from_file(sentiment_models.tflite["float32"]).logits(sentiment_models.inputs[:7])
  np.testing.assert_allclose(runner.logits(sentiment_models.inputs[:7]), reference, atol=1e-6)
  with pytest.raises(ValueError, match="fixed batch size of 3"):
    runner.resize(8)


def test_quantized_inputs_and_outputs_are_converted(sentiment_models):
  runner = TfliteRunner.from_file(sentiment_models.tflite["full_int8"])
  assert runner.output.quantized
  logits = runner.logits(sentiment_models.inputs[:5])
  assert logits.dtype == np.float32
  raw = runner.invoke(runner.prepare(sentiment_models.inputs[:1]))
  np.testing.assert_array_equal(runner.output.dequantize(raw), logits[:1])
