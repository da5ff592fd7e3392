"""The serving SavedModel of a language model: a next-token signature and a generation signature for TF Serving.

  serving_default(token_ids)  int32 `(batch, sequence_length)`: windows of the last `sequence_length` tokens of
                              texts, right-padded with 0 (`next_token_graph`).
      -> logits         float32 `(batch, vocab)`: the scores of the token after each window's last real token
         probabilities  float32 `(batch, vocab)`: their softmax
         next_token_id  int64 `(batch,)`: the greedy choice (padding and the unknown token are never chosen)
         next_token     string `(batch,)`: its character
  generate(prompt, max_tokens, temperature, top_k, top_p, seed)  each `(batch,)`: string, int32, float32, int32,
                              float32, int32, one value per prompt, so TF Serving's REST row format
                              (`{"instances": [{"prompt": "It was", "max_tokens": 40, ...}]}`) and columnar format
                              (`{"inputs": {"prompt": [...], ...}}`) both work.
      -> text                string `(batch,)`: the continuation alone
         token_ids           int32 `(batch, max(max_tokens))`: its token ids, padded with 0
         unknown_characters  int32 `(batch,)`: prompt characters the vocabulary lacks
     The loop runs in the graph on the model's cached path (`GraphTextGenerator`: one prefill, then one decode step
     per token, half a window prefilled again when the window is full, as `KerasNextToken.generator`; it documents
     the settings, and what an empty or unreadable prompt gives); TF Serving needs every input, so clients send the
     defaults (temperature 0 = greedy, top_k 0, top_p 1, any seed) themselves.

The vocabulary is baked in as constants, so the SavedModel needs no asset files.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from edge.char_vocabulary import CharVocabulary
from export.serving.graph_text_generator import GraphTextGenerator, never_generated_masked
from export.tflite.next_token_graph import keras_position_logits, next_token_logits

SIGNATURES = ("serving_default", "generate")
# The inputs of the generate signature, in order, each of shape (batch,).
GENERATE_INPUTS = {"prompt": tf.string, "max_tokens": tf.int32, "temperature": tf.float32, "top_k": tf.int32,
                   "top_p": tf.float32, "seed": tf.int32}
NEXT_TOKEN_OUTPUTS = ("logits", "probabilities", "next_token_id", "next_token")
GENERATE_OUTPUTS = ("text", "token_ids", "unknown_characters")


def write_language_model_saved_model(model: keras.Model, path: str, vocabulary: CharVocabulary,
                                     sequence_length: int) -> None:
  """Writes the serving SavedModel of a language model into `path` (a new or empty directory).

  Args:
    model: the trained language model: int32 `(batch, sequence_length)` ids -> logits at every position.
    path: the directory to create.
    vocabulary: its character vocabulary.
    sequence_length: its context window.
  """
  position_logits = keras_position_logits(model)
  generator = GraphTextGenerator(model, vocabulary, sequence_length)
  tokens = tf.constant(list(vocabulary.tokens), tf.string)

  def serve_next_token(token_ids):
    logits = tf.cast(next_token_logits(position_logits, token_ids), tf.float32)  # (batch, vocab)
    next_token_id = tf.argmax(never_generated_masked(logits), axis=-1, output_type=tf.int64)  # (batch,)
    return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1), "next_token_id": next_token_id,
            "next_token": tf.gather(tokens, next_token_id)}

  def serve_generate(prompt, max_tokens, temperature, top_k, top_p, seed):
    return generator.generate(prompt, max_tokens, temperature, top_k, top_p, seed)

  # The endpoints track the variables they read; tracking the model as well would save every weight twice.
  archive = keras.export.ExportArchive()
  archive.add_endpoint("serving_default", serve_next_token,
                       [tf.TensorSpec((None, sequence_length), tf.int32, name="token_ids")])
  archive.add_endpoint("generate", serve_generate,
                       [tf.TensorSpec((None,), dtype, name=name) for name, dtype in GENERATE_INPUTS.items()])
  archive.write_out(path, verbose=False)
