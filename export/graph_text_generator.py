"""The generation loop of `edge.TextGenerator` as a TensorFlow graph, for the `generate` serving signature.

Everything happens inside the graph, so TF Serving can run it: the prompt is split into Unicode code points and
looked up in the character vocabulary (`CharVocabulary.encode`'s sorted-code-point search, as constants: invalid
UTF-8 reads as U+FFFD, the unknown token), a `tf.while_loop` extends it token by token over the same window as
`TextGenerator` (the last `sequence_length` tokens, right-padded, logits after the last real one; padding and the
unknown token are never chosen), and the new tokens are joined back into text.

Each row of a batch carries its own settings, so rows never depend on each other (TF Serving may batch requests
together):
  max_tokens   tokens to generate; <= 0 generates nothing.
  temperature  <= 0: greedy (the largest logit; the same tokens as `TextGenerator` on the same logits); > 0 samples.
  top_k        keep the k most likely tokens (<= 0: all); tokens tied with the k-th are kept too.
  top_p        keep the most likely tokens up to this total probability (outside (0, 1): all).
  seed         sampling draws are `tf.random.stateless_uniform` with seed (seed, step) per row (Gumbel-max), so a
               row's text depends only on its prompt, settings and seed. The draws are not numpy's: sampled text
               differs from the Keras and edge runtimes' for the same seed; greedy text is the same.
A prompt that is empty or has no character of the vocabulary gets an empty text (a graph cannot raise a helpful
error; `unknown_characters` equal to the prompt's length tells a client why). The client-facing tools check these
prompts before they ask.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from edge.char_vocabulary import PADDING, UNKNOWN, CharVocabulary
from export.next_token_graph import PositionLogits, window_lengths

# Uniform draws start here, so that the Gumbel noise -log(-log(u)) stays finite.
_SMALLEST_UNIFORM = float(np.finfo(np.float32).tiny)


class GraphTextGenerator:
  """Extends a batch of prompts with a language model, inside a TensorFlow graph.

  Args:
    position_logits: the model: int32 ids `(batch, sequence_length)` -> logits `(batch, sequence_length, vocab)`.
    vocabulary: the model's character vocabulary.
    sequence_length: the model's context window.
  """

  def __init__(self, position_logits: PositionLogits, vocabulary: CharVocabulary, sequence_length: int):
    self.position_logits = position_logits
    self.vocabulary = vocabulary
    self.sequence_length = sequence_length
    characters = vocabulary.tokens[2:]
    code_points = np.array([ord(token) for token in characters], np.int32)
    order = np.argsort(code_points)
    self._code_points = code_points[order]
    self._ids = (order + 2).astype(np.int32)

  def encode(self, prompt: tf.Tensor) -> tf.RaggedTensor:
    """Token ids of each prompt: `(batch,)` strings -> int32 `(batch, None)`, as `CharVocabulary.encode`."""
    code_points = tf.strings.unicode_decode(prompt, "UTF-8", errors="replace")  # (batch, None) int32
    flat = code_points.flat_values
    if not len(self._code_points):
      return code_points.with_flat_values(tf.fill(tf.shape(flat), UNKNOWN))
    known = tf.constant(self._code_points)
    positions = tf.minimum(tf.searchsorted(known, flat), len(self._code_points) - 1)
    found = tf.equal(tf.gather(known, positions), flat)
    ids = tf.where(found, tf.gather(tf.constant(self._ids), positions), UNKNOWN)
    return code_points.with_flat_values(ids)

  def decode(self, token_ids: tf.Tensor) -> tf.Tensor:
    """Text of each row of int32 ids `(batch, steps)`: `(batch,)` strings (padding decodes to nothing)."""
    tokens = tf.constant(list(self.vocabulary.tokens), tf.string)
    return tf.strings.reduce_join(tf.gather(tokens, token_ids), axis=1)

  def generate(self, prompt: tf.Tensor, max_tokens: tf.Tensor, temperature: tf.Tensor, top_k: tf.Tensor,
               top_p: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
    """Continues each prompt; every argument is a `(batch,)` tensor (see the module docstring).

    Returns:
      `text` `(batch,)` strings: the continuation alone; `token_ids` int32 `(batch, max(max_tokens))`: its ids,
      padded with 0; `unknown_characters` int32 `(batch,)`: prompt characters read as the unknown token.
    """
    length_limit = self.sequence_length
    ids = self.encode(prompt)  # (batch, None)
    prompt_lengths = tf.cast(ids.row_lengths(), tf.int32)  # (batch,)
    unknown = tf.reduce_sum(tf.cast(tf.equal(ids, UNKNOWN), tf.int32), axis=1)  # (batch,)
    readable = unknown < prompt_lengths  # some known character; false for an empty prompt
    window = ids[:, -length_limit:].to_tensor(default_value=PADDING, shape=[None, length_limit])  # (batch, T)
    batch = tf.shape(window)[0]
    steps = tf.maximum(tf.reduce_max(tf.where(readable, max_tokens, 0)), 0)  # 0 for an empty batch too
    generated = tf.zeros([batch, steps], tf.int32)

    def body(step, window, generated):
      lengths = window_lengths(window)  # (batch,)
      logits = self.position_logits(window)  # (batch, T, vocab)
      last = tf.gather(logits, tf.maximum(lengths - 1, 0), axis=1, batch_dims=1)  # (batch, vocab)
      active = readable & (step < max_tokens)  # (batch,)
      token = tf.where(active, self._choose(last, temperature, top_k, top_p, seed, step), PADDING)  # (batch,)
      full = lengths >= length_limit
      appended = window + tf.one_hot(tf.minimum(lengths, length_limit - 1), length_limit,
                                     dtype=tf.int32) * token[:, None]  # the first padding slot takes the token
      slid = tf.concat([window[:, 1:], token[:, None]], axis=1)  # the oldest token drops out
      window = tf.where(active[:, None], tf.where(full[:, None], slid, appended), window)
      indices = tf.stack([tf.range(batch), tf.fill([batch], step)], axis=1)
      generated = tf.tensor_scatter_nd_update(generated, indices, token)
      return step + 1, window, generated

    _, _, generated = tf.while_loop(lambda step, *_: step < steps, body, (tf.constant(0), window, generated),
                                    shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, length_limit]),
                                                      tf.TensorShape([None, None])))
    return {"text": self.decode(generated), "token_ids": generated, "unknown_characters": unknown}

  def _choose(self, logits: tf.Tensor, temperature: tf.Tensor, top_k: tf.Tensor, top_p: tf.Tensor, seed: tf.Tensor,
              step: tf.Tensor) -> tf.Tensor:
    """The next token of each row of float32 `logits` `(batch, vocab)`: int32 `(batch,)`."""
    vocab_size = self.vocabulary.size
    logits = never_generated_masked(logits)
    greedy = tf.argmax(logits, axis=-1, output_type=tf.int32)
    sampling = temperature > 0
    scaled = logits / tf.where(sampling, temperature, 1.0)[:, None]
    ranked = tf.sort(scaled, axis=-1, direction="DESCENDING")  # (batch, vocab)
    ranks = tf.range(vocab_size)[None, :]
    k = tf.where(top_k > 0, tf.minimum(top_k, vocab_size), vocab_size)  # (batch,)
    in_top_k = ranks < k[:, None]
    probabilities = tf.nn.softmax(tf.where(in_top_k, ranked, -np.inf), axis=-1)
    # Keep every token up to and including the one that brings the total to top_p.
    before = tf.cumsum(probabilities, axis=-1, exclusive=True)
    cut_p = (top_p > 0) & (top_p < 1)
    kept = in_top_k & (~cut_p[:, None] | (before < top_p[:, None]))
    threshold = tf.gather(ranked, tf.reduce_sum(tf.cast(kept, tf.int32), axis=1) - 1, batch_dims=1)  # (batch,)
    uniform = tf.map_fn(
        lambda row_seed: tf.random.stateless_uniform([vocab_size], seed=tf.stack([row_seed, step]),
                                                     minval=_SMALLEST_UNIFORM, maxval=1.0),
        seed, fn_output_signature=tf.float32)  # (batch, vocab)
    noisy = tf.where(scaled >= threshold[:, None], scaled - tf.math.log(-tf.math.log(uniform)), -np.inf)
    sampled = tf.argmax(noisy, axis=-1, output_type=tf.int32)
    return tf.where(sampling, sampled, greedy)


def never_generated_masked(logits: tf.Tensor) -> tf.Tensor:
  """float32 `logits` `(batch, vocab)` with -inf for padding and the unknown token, which are never generated."""
  never = np.zeros(logits.shape[-1], bool)
  never[[PADDING, UNKNOWN]] = True
  return tf.where(tf.constant(never)[None, :], -np.inf, tf.cast(logits, tf.float32))
