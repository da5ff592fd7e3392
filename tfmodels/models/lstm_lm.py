"""LSTM language model."""

from __future__ import annotations

import keras
from keras import ops

from tfmodels.config import LstmLmConfig
from tfmodels.models.token_sequence_model import TokenSequenceModel


@keras.saving.register_keras_serializable(package="tfmodels")
class LstmLm(TokenSequenceModel):
  """Predicts each next token of a token-id sequence with stacked LSTMs; outputs logits per position.

  An embedding, dropout, `num_layers` LSTMs returning their whole output sequence (dropout after each), and a dense
  layer giving the logits of token `t + 1` at each position `t`. An LSTM reads left to right, so tokens after `t`
  (right padding of a short prompt) never change the logits at `t`. The output layer computes in float32, so logits
  stay float32 under mixed precision.

  Generation runs in constant work per token by carrying the LSTM states (`prefill`, then `decode` per token): the
  cache is a tuple `(h_0, c_0, h_1, c_1, ...)`, one pair per LSTM, each `(batch, lstm_units)` (`cache_shapes`), held
  by the caller. Each step is the Keras LSTM cell itself, so the steps compute what the LSTM layers compute.

  Args:
    vocab_size: number of token ids, including the padding id 0.
    sequence_length: the context window: the sequence length of training and of the exported signatures.
    embedding_dim: width of the token embedding.
    lstm_units: units of each LSTM.
    num_layers: number of stacked LSTMs.
    dropout: dropout on the embedding and after each LSTM.
    **kwargs: standard `keras.Model` arguments (`name`, `dtype`, ...).
  """

  def __init__(self, vocab_size: int, sequence_length: int, embedding_dim: int = LstmLmConfig.embedding_dim,
               lstm_units: int = LstmLmConfig.lstm_units, num_layers: int = LstmLmConfig.num_layers,
               dropout: float = LstmLmConfig.dropout, **kwargs):
    super().__init__(**kwargs)
    self.vocab_size = vocab_size
    self.sequence_length = sequence_length
    self.embedding_dim = embedding_dim
    self.lstm_units = lstm_units
    self.num_layers = num_layers
    self.dropout = dropout

    self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")
    self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
    self.lstms = [keras.layers.LSTM(lstm_units, return_sequences=True, name=f"lstm_{i}") for i in range(num_layers)]
    self.lstm_dropouts = [keras.layers.Dropout(dropout, name=f"lstm_dropout_{i}") for i in range(num_layers)]
    self.logits = keras.layers.Dense(vocab_size, dtype="float32", name="logits")
    self.build_on_signature()

  @property
  def num_classes(self) -> int:
    """Logits per position: one per token id."""
    return self.vocab_size

  def call(self, inputs, training=False):
    x = self.embedding(inputs)  # (batch, seq, embedding_dim)
    x = self.embedding_dropout(x, training=training)
    for lstm, dropout in zip(self.lstms, self.lstm_dropouts):
      x = dropout(lstm(x, training=training), training=training)  # (batch, seq, lstm_units)
    return self.logits(x)  # (batch, seq, vocab_size), float32

  def cache_names(self) -> tuple[str, ...]:
    """Names of the cache tensors, in cache order (the names of the TFLite signature tensors)."""
    return tuple(f"lstm_state_{kind}_{i}" for i in range(self.num_layers) for kind in ("h", "c"))

  def cache_shapes(self, batch_size: int) -> tuple[tuple[int, ...], ...]:
    """Shapes of the cache tensors, in cache order."""
    return ((batch_size, self.lstm_units),) * (2 * self.num_layers)

  def prefill_lengths(self) -> tuple[int, ...]:
    """Lengths of the prefills a runtime needs: the whole window alone, as a prefill's steps are its real tokens."""
    return (self.sequence_length,)

  def prefill(self, token_ids, cell_clip: float | None = None):
    """Reads a right-padded window at inference step by step, up to its last real token; returns the states there.

    The steps are a while loop that runs as many times as the longest window has real tokens (not a chain of
    `sequence_length` unrolled steps): a short prompt costs a few steps, and a TFLite file holds one step's ops.

    Args:
      token_ids: int32 `(batch, sequence_length)`: the real tokens first, then padding (0).
      cell_clip: bound every cell state to +-`cell_clip` after each step (None: no bound, as the Keras LSTM). The
        graphs of integer-only TFLite files use it, as TFLite's own LSTM op does: their cell state is one int8 tensor
        whose scale must cover its whole range, and a few saturated units far out (+-38 in a small model) would
        leave steps of 0.28 for all the others.

    Returns:
      `(logits, cache)`: float32 `(batch, vocab_size)` logits of the token after each window's last real token, and
      the LSTM states there (as `decode` leaves them).
    """
    lengths = ops.sum(ops.cast(ops.not_equal(token_ids, 0), "int32"), axis=1)  # (batch,)
    zeros = tuple(ops.zeros(shape, self.compute_dtype) for shape in self.cache_shapes(ops.shape(token_ids)[0]))

    def step(position, *cache):
      stepped = self._step(ops.take(token_ids, position, axis=1), cache, cell_clip)
      # Rows whose window ended keep their states: a blend with 0 and 1 is exact.
      real = ops.cast(position < lengths, self.compute_dtype)[:, None]  # (batch, 1)
      return (position + 1, *(real * new + (1.0 - real) * old for new, old in zip(stepped, cache)))

    steps = ops.max(lengths)
    cache = tuple(ops.while_loop(lambda position, *_: position < steps, step,
                                 (ops.convert_to_tensor(0, "int32"), *zeros))[1:])
    return self.logits(cache[-2]), cache  # the last LSTM's output is its h

  def decode(self, token_ids, positions, cache, cell_clip: float | None = None):
    """One step of every LSTM on one token per row.

    Args:
      token_ids: int32 `(batch,)`.
      positions: unused (an LSTM carries its position in its states); there for the interface of `TransformerLm`.
      cache: the states, as `prefill` or `decode` returns them.
      cell_clip: as for `prefill`.

    Returns:
      `(logits, cache)`: float32 `(batch, vocab_size)` logits of the next token, and the new states.
    """
    del positions
    cache = self._step(token_ids, cache, cell_clip)
    return self.logits(cache[-2]), cache

  def decode_step(self, token_ids, positions, cache, cell_clip: float | None = None):
    """`decode`: an LSTM's step replaces its whole cache (the states), so what it adds is the new cache."""
    return self.decode(token_ids, positions, cache, cell_clip)

  def _step(self, token_ids, cache, cell_clip: float | None = None):
    """The states after one token per row: the Keras LSTM cells, one after the other."""
    x = self.embedding(token_ids)  # (batch, embedding_dim)
    states = []
    for i, lstm in enumerate(self.lstms):
      x, (h, c) = lstm.cell(x, [cache[2 * i], cache[2 * i + 1]], training=False)  # (batch, lstm_units)
      states += [h, c if cell_clip is None else ops.clip(c, -cell_clip, cell_clip)]
    return tuple(states)

  def get_config(self):
    config = super().get_config()
    config.update({
        "vocab_size": self.vocab_size,
        "sequence_length": self.sequence_length,
        "embedding_dim": self.embedding_dim,
        "lstm_units": self.lstm_units,
        "num_layers": self.num_layers,
        "dropout": self.dropout,
    })
    return config
