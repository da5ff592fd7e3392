"""The generation loop of `edge.TextGenerator` as a TensorFlow graph, for the `generate` serving signature.

Everything happens inside the graph, so TF Serving can run it: the prompt is split into Unicode code points and
looked up in the character vocabulary (`CharVocabulary.encode`'s sorted-code-point search, as constants: invalid
UTF-8 reads as U+FFFD, the unknown token), a `tf.while_loop` extends it token by token as `TextGenerator` does (the
prompt's last `sequence_length` tokens prefilled, right-padded, then one decode step per token; when a row's window
is full its last `reprefill_length` tokens are prefilled again; padding and the unknown token are never chosen), and
the new tokens are joined back into text. The model is a cached language model (`prefill(ids) -> (logits, cache)`,
`decode(ids, positions, cache) -> (logits, cache)`, as `TransformerLm` and `LstmLm`), so a token costs one step; a
position-logits function (a whole window per token) works too.

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
from edge.text_generator import default_reprefill_length
from export.tflite.next_token_graph import PositionLogits, next_token_logits

# Uniform draws start here, so that the Gumbel noise -log(-log(u)) stays finite.
_SMALLEST_UNIFORM = float(np.finfo(np.float32).tiny)


class GraphTextGenerator:
  """Extends a batch of prompts with a language model, inside a TensorFlow graph.

  Args:
    model: a cached language model (`prefill` and `decode`), or a position-logits function: int32 ids
      `(batch, sequence_length)` -> logits `(batch, sequence_length, vocab)`.
    vocabulary: the model's character vocabulary.
    sequence_length: the model's context window.
    reprefill_length: tokens prefilled again when a window is full; default as `TextGenerator`'s (half a window for
      a cached model, the whole window for a function).
  """

  def __init__(self, model, vocabulary: CharVocabulary, sequence_length: int, reprefill_length: int | None = None):
    cached = hasattr(model, "prefill") and hasattr(model, "decode")
    self.model = model if cached else _WindowCache(model, sequence_length)
    self.vocabulary = vocabulary
    self.sequence_length = sequence_length
    if reprefill_length is None:
      reprefill_length = default_reprefill_length(sequence_length) if cached else sequence_length
    self.reprefill_length = reprefill_length
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
    logits, cache = self.model.prefill(window)
    keep = self.reprefill_length

    def body(step, window, positions, logits, cache, generated):
      active = readable & (step < max_tokens)  # (batch,)
      token = tf.where(active, self._choose(tf.cast(logits, tf.float32), temperature, top_k, top_p, seed, step),
                       PADDING)  # (batch,)
      indices = tf.stack([tf.range(batch), tf.fill([batch], step)], axis=1)
      generated = tf.tensor_scatter_nd_update(generated, indices, token)
      full = positions >= length_limit  # (batch,): these rows slide
      # Decode at the next position (clamped: a full row's decode is discarded for its prefill).
      decode_positions = tf.minimum(positions, length_limit - 1)
      decoded_logits, decoded_cache = self.model.decode(token, decode_positions, cache)
      appended = _written(window, decode_positions, token)
      # A full row's new context: its last `keep` tokens, the new one included, right-padded.
      slid = tf.concat([window[:, length_limit - keep + 1:], token[:, None],
                        tf.zeros([batch, length_limit - keep], tf.int32)], axis=1)
      slide = active & full

      def reprefilled():
        return self.model.prefill(tf.where(slide[:, None], slid, appended))

      prefilled_logits, prefilled_cache = tf.cond(tf.reduce_any(slide), reprefilled,
                                                  lambda: (decoded_logits, decoded_cache))
      logits = tf.where(slide[:, None], prefilled_logits, decoded_logits)
      cache = tuple(_rows_where(slide, new, old) for new, old in zip(prefilled_cache, decoded_cache))
      window = tf.where(active[:, None], tf.where(slide[:, None], slid, appended), window)
      positions = tf.where(active, tf.where(slide, keep, positions + 1), positions)
      return step + 1, window, positions, logits, cache, generated

    cache_invariants = tuple(tf.TensorShape([None, *tensor.shape[1:]]) for tensor in cache)
    _, _, _, _, _, generated = tf.while_loop(
        lambda step, *_: step < steps, body,
        (tf.constant(0), window, tf.minimum(prompt_lengths, length_limit), logits, cache, generated),
        shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, length_limit]), tf.TensorShape([None]),
                          tf.TensorShape([None, self.vocabulary.size]), cache_invariants,
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


def _written(window: tf.Tensor, positions: tf.Tensor, token_ids: tf.Tensor) -> tf.Tensor:
  """int32 windows `(batch, T)` with `token_ids[i]` at `positions[i]` (replacing what was there)."""
  at = tf.one_hot(positions, window.shape[1], dtype=tf.int32)
  return window * (1 - at) + at * token_ids[:, None]


def _rows_where(condition: tf.Tensor, yes: tf.Tensor, no: tf.Tensor) -> tf.Tensor:
  """Row `i` of `yes` where `condition[i]`, else of `no` (any rank)."""
  return tf.where(tf.reshape(condition, [-1] + [1] * (len(yes.shape) - 1)), yes, no)


class _WindowCache:
  """A position-logits function as a cached model whose cache is the window itself (re-read for every token)."""

  def __init__(self, position_logits: PositionLogits, sequence_length: int):
    self.position_logits = position_logits
    self.sequence_length = sequence_length

  def prefill(self, token_ids):
    return next_token_logits(self.position_logits, token_ids), (token_ids,)

  def decode(self, token_ids, positions, cache):
    window = _written(cache[0], positions, token_ids)
    logits = self.position_logits(window)  # (batch, T, vocab)
    return tf.gather(logits, positions, axis=1, batch_dims=1), (window,)
