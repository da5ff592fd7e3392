"""Typed, frozen experiment configuration.

An experiment is `ExperimentConfig(data, model, trainer, runtime)`. Every field can be overridden from the command
line with a dotted path (`--params=trainer.epochs=5,model.cnn.dropout=0.3`); values are parsed with the type of the
field they replace, and the whole configuration is validated once, before anything is built.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from typing import Any

from tfmodels.user_error import UserError

MODEL_NAMES = ("cnn", "lstm", "transformer", "transformer_lm", "lstm_lm")
# Models that predict the next token of a text rather than a class.
LANGUAGE_MODEL_NAMES = ("transformer_lm", "lstm_lm")
STRATEGY_NAMES = ("auto", "default", "one_device", "mirrored", "multi_worker_mirrored")
MIXED_PRECISION_NAMES = ("auto", "off", "mixed_float16", "mixed_bfloat16")
PRETRAIN_MODES = ("auto", "on", "off")
# Classifiers whose encoder can be pretrained on unlabelled text.
PRETRAINABLE_MODEL_NAMES = ("lstm", "transformer")
# The largest vocabulary a text classifier's n-gram model takes: its bigram keys `first * vocab_size + second` must
# stay below 2**31 (int32, as TFLite computes them).
MAX_NGRAM_VOCAB_SIZE = math.isqrt(2**31 - 1)
# `ngram_buckets` value that asks for a number chosen from the data (`ngram_fit.ngram_buckets_for`).
BUCKETS_FROM_DATA = -1


class ConfigError(UserError, ValueError):
  """A configuration value is invalid; the message names the field and the fix."""


@dataclasses.dataclass(frozen=True)
class DataConfig:
  """Where the examples come from and how they are shaped.

  Attributes:
    dataset: `digits`, `fashion_mnist`, `rotten_tomatoes`, `images:DIR`, `csv:PATH` or `tfds:NAME[/CONFIG][:VERSION]`
      (any TFDS data set with an image or text feature and a class label) for the classifiers; `novels`,
      `text:PATH` (a UTF-8 text file, or a folder of `.txt` files) or `tfds:NAME` of a set of unlabelled texts for
      the language models.
    data_dir: cache for fetched package files and prepared TFDS records (default `~/.cache/tfmodels`); a `tfds:NAME`
      set prepared in the standard TFDS layout `DIR/NAME/CONFIG/VERSION` directly under it is read from there.
    manual_dir: where the source files of a `tfds:NAME` set that cannot be downloaded lie (e.g. `imagenet2012`).
    feature_key: the feature a `tfds:NAME` set is read by ("" = its supervised keys' first).
    label_key: the class label of a `tfds:NAME` set ("" = its supervised keys' second).
    validation_fraction: share of the examples held out for validation when the source has no validation split.
    test_fraction: share of the examples held out for testing when the source has no test split.
    split_seed: seed of the deterministic, stratified split (independent of the training seed on purpose: changing
      the training seed must not move examples between splits).
    image_size: `(height, width)` every image is resized to; empty = the most common size in the training data.
    image_channels: 1 (grey) or 3 (RGB) every image is converted to; 0 = the most common channel count.
    max_tokens: vocabulary size of the text vectorizer (words for the classifiers, characters for the language models),
      including padding and the OOV token.
    sequence_length: fixed number of token ids per text (padded or truncated): static shapes for export; 0 = chosen
      from the training texts (the 95th percentile of their token counts, rounded up to a multiple of 8, within
      16-256), and written into the run's config.json. For a language model, the context window: it is trained on
      windows of this many characters.
    min_token_count: a word enters a classifier's vocabulary only when it occurs this many times in the training
      texts (the vocabulary then holds at most `max_tokens`); rarer words read as the out-of-vocabulary token.
    shuffle_buffer: size of the training shuffle buffer.
    random_flip: training-time augmentation of images: `none`, or `horizontal` (each training image is mirrored
      left-right with probability 1/2; right for clothes and photos, wrong for digits and text).
    random_translation: training-time augmentation of images: each is shifted by up to this fraction of its height
      and of its width (edges repeat the border pixels; 0 = none).
    random_zoom: each training image is scaled by a factor in [1 - random_zoom, 1 + random_zoom] about its centre.
    random_rotation: each training image is rotated by up to this many degrees either way.
    random_contrast: each training image's contrast is scaled by a factor in [1 - random_contrast,
      1 + random_contrast] about its mean.
    token_dropout: training-time augmentation of texts: each token id is replaced by the out-of-vocabulary id with
      this probability (a regulariser against memorising rare words).
    cache_budget_mb: a split whose model inputs fit in this many MiB is kept in memory after its first pass; a
      larger one is streamed from its records in every epoch (0 = stream everything).
    vocabulary_sample: adapt the text vocabulary on the first this many training texts only (0 = all of them).
  """

  dataset: str = "digits"
  data_dir: str = ""
  manual_dir: str = ""
  feature_key: str = ""
  label_key: str = ""
  validation_fraction: float = 0.1
  test_fraction: float = 0.2
  split_seed: int = 0
  image_size: tuple[int, ...] = ()
  image_channels: int = 0
  max_tokens: int = 20000
  sequence_length: int = 64
  min_token_count: int = 1
  shuffle_buffer: int = 10000
  random_flip: str = "none"
  random_translation: float = 0.0
  random_zoom: float = 0.0
  random_rotation: float = 0.0
  random_contrast: float = 0.0
  token_dropout: float = 0.0
  cache_budget_mb: int = 256
  vocabulary_sample: int = 0


@dataclasses.dataclass(frozen=True)
class CnnConfig:
  """Image classifier: conv/ReLU(/BatchNorm)/max-pool blocks, then a dense head.

  Attributes:
    conv_filters: filters of each conv block; one 2x2 max-pool follows each block.
    kernel_size: side of the square convolution kernels.
    dense_units: width of the hidden dense layer of the head (0 = no hidden layer).
    batch_norm: BatchNorm after each convolution.
    dropout: dropout rate before the output layer.
  """

  conv_filters: tuple[int, ...] = (32, 64)
  kernel_size: int = 3
  dense_units: int = 128
  batch_norm: bool = False
  dropout: float = 0.0


@dataclasses.dataclass(frozen=True)
class LstmConfig:
  """Text classifier: embedding with padding mask, LSTM, dense head.

  Attributes:
    embedding_dim: width of the token embedding.
    lstm_units: units of the LSTM (per direction).
    bidirectional: wrap the LSTM in `Bidirectional`.
    dropout: dropout on the embedding and before the output layer.
    ngram_buckets: with > 0, a linear model over the text's word unigrams and this many hashed bigram rows adds its
      logits, fitted on the training split once the network is trained (`TextClassifier`); 0 = none; -1
      (`BUCKETS_FROM_DATA`, the recipe's) = a number chosen from the vocabulary and the classes
      (`ngram_fit.ngram_buckets_for`), which the run records in its config.json.
  """

  embedding_dim: int = 128
  lstm_units: int = 64
  bidirectional: bool = True
  dropout: float = 0.3
  ngram_buckets: int = 0


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
  """Text classifier: token + learned position embeddings (added), encoder blocks, pooling, dense head.

  Attributes:
    embedding_dim: model width.
    num_layers: number of encoder blocks.
    num_heads: attention heads per block.
    ff_dim: hidden width of the GELU feed-forward network.
    dropout: dropout in the blocks and before the output layer.
    pooling: `mean` (masked mean over tokens) or `max`.
    ngram_buckets: as `LstmConfig.ngram_buckets`.
  """

  embedding_dim: int = 64
  num_layers: int = 1
  num_heads: int = 2
  ff_dim: int = 128
  dropout: float = 0.2
  pooling: str = "mean"
  ngram_buckets: int = 0


@dataclasses.dataclass(frozen=True)
class TransformerLmConfig:
  """Causal character language model: token + learned position embeddings, causal encoder blocks, next-token logits.

  Attributes:
    embedding_dim: model width.
    num_layers: number of causal blocks.
    num_heads: attention heads per block.
    ff_dim: hidden width of the GELU feed-forward network.
    dropout: dropout on the embeddings and in the blocks.
    tie_embeddings: compute the output logits with the (transposed) input embedding instead of a separate layer.
  """

  embedding_dim: int = 128
  num_layers: int = 3
  num_heads: int = 4
  ff_dim: int = 512
  dropout: float = 0.1
  tie_embeddings: bool = False


@dataclasses.dataclass(frozen=True)
class LstmLmConfig:
  """LSTM character language model: embedding, stacked LSTMs over the sequence, next-token logits at every step.

  Attributes:
    embedding_dim: width of the token embedding.
    lstm_units: units of each LSTM.
    num_layers: number of stacked LSTMs.
    dropout: dropout on the embedding and between and after the LSTMs.
  """

  embedding_dim: int = 64
  lstm_units: int = 256
  num_layers: int = 1
  dropout: float = 0.1


@dataclasses.dataclass(frozen=True)
class ModelConfig:
  """Which architecture, and the settings of each.

  Attributes:
    name: `cnn`, `lstm`, `transformer` (classifiers), `transformer_lm` or `lstm_lm` (language models).
    cnn: settings used when `name == "cnn"`.
    lstm: settings used when `name == "lstm"`.
    transformer: settings used when `name == "transformer"`.
    transformer_lm: settings used when `name == "transformer_lm"`.
    lstm_lm: settings used when `name == "lstm_lm"`.
  """

  name: str = "cnn"
  cnn: CnnConfig = dataclasses.field(default_factory=CnnConfig)
  lstm: LstmConfig = dataclasses.field(default_factory=LstmConfig)
  transformer: TransformerConfig = dataclasses.field(default_factory=TransformerConfig)
  transformer_lm: TransformerLmConfig = dataclasses.field(default_factory=TransformerLmConfig)
  lstm_lm: LstmLmConfig = dataclasses.field(default_factory=LstmLmConfig)

  @property
  def architecture(self) -> CnnConfig | LstmConfig | TransformerConfig | TransformerLmConfig | LstmLmConfig:
    """The settings of the selected architecture."""
    return getattr(self, self.name)

  @property
  def is_language_model(self) -> bool:
    """Whether the selected architecture predicts next tokens (rather than classes)."""
    return self.name in LANGUAGE_MODEL_NAMES


@dataclasses.dataclass(frozen=True)
class TrainerConfig:
  """Optimisation settings.

  Attributes:
    epochs: passes over the training split.
    batch_size: global batch size (split across replicas; must divide evenly).
    learning_rate: Adam learning rate (the peak, with a schedule).
    lr_schedule: `constant`; `cosine` (cosine decay to 0 over all training steps, after `warmup_epochs`); or
      `plateau` (constant after `warmup_epochs`, multiplied by `plateau_factor` each time the best validation epoch
      by `best_metric` is `plateau_patience` epochs behind: for runs whose length early stopping chooses).
    warmup_epochs: epochs of linear warm-up from 0 with the cosine or plateau schedule.
    plateau_patience: epochs without a better validation figure after which the plateau schedule cuts the rate.
    plateau_factor: what the plateau schedule multiplies the rate by at each cut.
    weight_decay: decoupled weight decay (AdamW) when > 0.
    clipnorm: global gradient-norm clip (0 = none).
    label_smoothing: label smoothing of the cross-entropy.
    checkpoint_max_to_keep: epoch checkpoints kept for resuming.
    best_metric: validation metric that selects the best weights (`accuracy` or `loss`).
    patience: early stopping: training ends once the best epoch by `best_metric` is this many epochs behind, and
      the best weights are kept (0 = every epoch runs); `epochs` is then the most that run.
  """

  epochs: int = 20
  batch_size: int = 64
  learning_rate: float = 1e-3
  lr_schedule: str = "constant"
  warmup_epochs: int = 0
  plateau_patience: int = 4
  plateau_factor: float = 0.5
  weight_decay: float = 0.0
  clipnorm: float = 0.0
  label_smoothing: float = 0.0
  checkpoint_max_to_keep: int = 2
  best_metric: str = "accuracy"
  patience: int = 0


@dataclasses.dataclass(frozen=True)
class PretrainConfig:
  """Self-supervised pretraining of a text classifier's embedding and encoder on unlabelled text, before the labels.

  The LSTM learns to predict the next word (its forward direction) and the previous word (its backward direction);
  the Transformer, to predict masked words from both sides. The classifier then starts from those weights, with the
  encoder frozen for its first `freeze_epochs` epochs (only the new output layer learns), then all of it.

  Attributes:
    mode: `off`; `on` (pretrain, then fine-tune); or `auto` (pretrain and fine-tune, train from scratch too, and keep
      whichever is better on validation).
    corpus: unlabelled text read besides the training split's own texts: `text:PATH`, `novels` or `tfds:NAME` of a
      text corpus (its training split), cut into pieces of `data.sequence_length` words.
    init_from: the pretraining directory of an earlier run (`<model_dir>/pretraining`): its encoder, vocabulary and
      sequence length are used instead of pretraining again.
    epochs: most pretraining epochs (early stopping on the validation texts' loss decides).
    patience: pretraining ends once its best validation loss is this many epochs behind.
    learning_rate: Adam learning rate of pretraining.
    max_texts: most texts pretraining reads (training texts first, then corpus pieces); they are held in memory.
    targets_per_text: words the LSTM predicts per text and step (positions drawn anew in every epoch); the
      Transformer predicts its masked 15 %.
    freeze_epochs: first epochs of the classifier in which the pretrained encoder is frozen.
    stage: set on the pretraining run itself (its `config.json` says so); not a setting for users.
  """

  mode: str = "off"
  corpus: str = ""
  init_from: str = ""
  epochs: int = 8
  patience: int = 2
  learning_rate: float = 2e-3
  max_texts: int = 100000
  targets_per_text: int = 16
  freeze_epochs: int = 1
  stage: bool = False


@dataclasses.dataclass(frozen=True)
class RuntimeConfig:
  """Where and how the computation runs.

  Attributes:
    strategy: `auto`, `default`, `one_device`, `mirrored` or `multi_worker_mirrored`.
    mixed_precision: `auto`, `off`, `mixed_float16` or `mixed_bfloat16`.
    jit_compile: compile the train step with XLA (slower on CPU, so off by default).
    seed: seed of weights, shuffling and dropout.
  """

  strategy: str = "auto"
  mixed_precision: str = "auto"
  jit_compile: bool = False
  seed: int = 42


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
  """A whole training run.

  Attributes:
    data: the data set and its shaping.
    model: the architecture.
    trainer: the optimisation.
    runtime: devices, precision and seed.
    pretrain: pretraining of a text classifier's encoder on unlabelled text.
  """

  data: DataConfig = dataclasses.field(default_factory=DataConfig)
  model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
  trainer: TrainerConfig = dataclasses.field(default_factory=TrainerConfig)
  runtime: RuntimeConfig = dataclasses.field(default_factory=RuntimeConfig)
  pretrain: PretrainConfig = dataclasses.field(default_factory=PretrainConfig)

  def validate(self) -> "ExperimentConfig":
    """Raises `ConfigError` naming the first invalid field; returns self."""
    _check(self.model.name in MODEL_NAMES, "model.name", self.model.name, f"one of {', '.join(MODEL_NAMES)}")
    _check(self.runtime.strategy in STRATEGY_NAMES, "runtime.strategy", self.runtime.strategy,
           f"one of {', '.join(STRATEGY_NAMES)}")
    _check(self.runtime.mixed_precision in MIXED_PRECISION_NAMES, "runtime.mixed_precision",
           self.runtime.mixed_precision, f"one of {', '.join(MIXED_PRECISION_NAMES)}")
    _check(self.trainer.epochs >= 1, "trainer.epochs", self.trainer.epochs, "an integer >= 1")
    _check(self.trainer.batch_size >= 1, "trainer.batch_size", self.trainer.batch_size, "an integer >= 1")
    _check(0 < self.trainer.learning_rate < math.inf, "trainer.learning_rate", self.trainer.learning_rate,
           "a finite number > 0, e.g. 1e-3")
    _check(0 <= self.trainer.weight_decay < math.inf, "trainer.weight_decay", self.trainer.weight_decay,
           "a finite number >= 0 (0 = none)")
    _check(0 <= self.trainer.clipnorm < math.inf, "trainer.clipnorm", self.trainer.clipnorm,
           "a finite number >= 0 (0 = none)")
    _check(self.trainer.lr_schedule in ("constant", "cosine", "plateau"), "trainer.lr_schedule",
           self.trainer.lr_schedule, "constant, cosine or plateau")
    _check(self.trainer.plateau_patience >= 1, "trainer.plateau_patience", self.trainer.plateau_patience,
           "an integer >= 1")
    _check(0 < self.trainer.plateau_factor < 1, "trainer.plateau_factor", self.trainer.plateau_factor,
           "a factor in (0, 1)")
    _check(0 <= self.trainer.warmup_epochs < self.trainer.epochs or self.trainer.warmup_epochs == 0,
           "trainer.warmup_epochs", self.trainer.warmup_epochs, "fewer epochs than trainer.epochs")
    _check(self.trainer.best_metric in ("accuracy", "loss"), "trainer.best_metric", self.trainer.best_metric,
           "accuracy or loss")
    _check(0 <= self.data.validation_fraction < 1, "data.validation_fraction", self.data.validation_fraction,
           "a fraction in [0, 1)")
    _check(0 < self.data.test_fraction < 1, "data.test_fraction", self.data.test_fraction, "a fraction in (0, 1)")
    _check(self.data.validation_fraction + self.data.test_fraction < 1, "data.test_fraction",
           self.data.test_fraction, "a fraction that leaves training examples beside the validation fraction")
    _check(len(self.data.image_size) in (0, 2) and all(isinstance(side, int) and side >= 1
                                                        for side in self.data.image_size),
           "data.image_size", self.data.image_size, "empty, or two integers >= 1 (height, width), e.g. (96,96)")
    _check(self.data.image_channels in (0, 1, 3), "data.image_channels", self.data.image_channels, "0, 1 or 3")
    _check(self.data.random_flip in ("none", "horizontal"), "data.random_flip", self.data.random_flip,
           "none or horizontal")
    _check(0 <= self.data.token_dropout < 1, "data.token_dropout", self.data.token_dropout, "a rate in [0, 1)")
    if self.model.is_language_model:
      _check(self.data.sequence_length >= 1, "data.sequence_length", self.data.sequence_length,
             "an integer >= 1 (the context window of a language model)")
    _check(self.data.sequence_length >= 0, "data.sequence_length", self.data.sequence_length,
           "an integer >= 1, or 0 (chosen from the training texts)")
    _check(self.data.min_token_count >= 1, "data.min_token_count", self.data.min_token_count, "an integer >= 1")
    for name in ("random_translation", "random_zoom", "random_contrast"):
      value = getattr(self.data, name)
      _check(0 <= value < 1, f"data.{name}", value, "a fraction in [0, 1) (0 = none)")
    _check(0 <= self.data.random_rotation <= 180, "data.random_rotation", self.data.random_rotation,
           "degrees in [0, 180] (0 = none)")
    _check(self.trainer.patience >= 0, "trainer.patience", self.trainer.patience,
           "an integer >= 0 (0 = no early stopping)")
    _check(self.data.cache_budget_mb >= 0, "data.cache_budget_mb", self.data.cache_budget_mb, "an integer >= 0")
    _check(self.data.vocabulary_sample >= 0, "data.vocabulary_sample", self.data.vocabulary_sample,
           "an integer >= 0 (0 = every training text)")
    _check(self.data.max_tokens >= 3, "data.max_tokens", self.data.max_tokens, "an integer >= 3")
    for field in dataclasses.fields(ModelConfig):
      if field.name != "name":
        value = getattr(self.model, field.name).dropout
        _check(0 <= value < 1, f"model.{field.name}.dropout", value, "a rate in [0, 1)")
    for field_name in ("transformer", "transformer_lm"):
      t = getattr(self.model, field_name)
      _check(t.num_heads >= 1 and t.embedding_dim % t.num_heads == 0, f"model.{field_name}.num_heads", t.num_heads,
             f"a divisor of model.{field_name}.embedding_dim ({t.embedding_dim})")
    _check(self.model.lstm_lm.num_layers >= 1, "model.lstm_lm.num_layers", self.model.lstm_lm.num_layers,
           "an integer >= 1")
    for field_name in ("lstm", "transformer"):
      buckets = getattr(self.model, field_name).ngram_buckets
      _check(buckets >= BUCKETS_FROM_DATA, f"model.{field_name}.ngram_buckets", buckets,
             f"an integer >= 0 (0 = no n-gram model), or {BUCKETS_FROM_DATA} (chosen from the data)")
      if buckets and self.model.name == field_name:
        _check(self.data.max_tokens <= MAX_NGRAM_VOCAB_SIZE, "data.max_tokens", self.data.max_tokens,
               f"at most {MAX_NGRAM_VOCAB_SIZE} with an n-gram model (its bigram keys are int32), or "
               f"model.{field_name}.ngram_buckets=0")
    pooling = self.model.transformer.pooling
    _check(pooling in ("mean", "max"), "model.transformer.pooling", pooling, "mean or max")
    pretrain = self.pretrain
    _check(pretrain.mode in PRETRAIN_MODES, "pretrain.mode", pretrain.mode, f"one of {', '.join(PRETRAIN_MODES)}")
    if pretrain.mode != "off" or pretrain.init_from or pretrain.corpus:
      _check(self.model.name in PRETRAINABLE_MODEL_NAMES, "model.name", self.model.name,
             "lstm or transformer: only text classifiers pretrain an encoder (set --pretrain=off, no "
             "--pretrain_corpus and no --init_from for the others)")
    _check(pretrain.epochs >= 1, "pretrain.epochs", pretrain.epochs, "an integer >= 1")
    _check(pretrain.patience >= 0, "pretrain.patience", pretrain.patience, "an integer >= 0 (0 = every epoch runs)")
    _check(0 < pretrain.learning_rate < math.inf, "pretrain.learning_rate", pretrain.learning_rate,
           "a finite number > 0, e.g. 2e-3")
    _check(pretrain.max_texts >= 1, "pretrain.max_texts", pretrain.max_texts, "an integer >= 1")
    _check(pretrain.targets_per_text >= 1, "pretrain.targets_per_text", pretrain.targets_per_text, "an integer >= 1")
    _check(pretrain.freeze_epochs >= 0, "pretrain.freeze_epochs", pretrain.freeze_epochs, "an integer >= 0")
    return self

  def to_dict(self) -> dict[str, Any]:
    return dataclasses.asdict(self)

  def to_json(self) -> str:
    return json.dumps(self.to_dict(), indent=2, sort_keys=True)

  @classmethod
  def from_dict(cls, values: dict[str, Any]) -> "ExperimentConfig":
    return _from_dict(cls, values, prefix="")

  def override(self, assignments: dict[str, str]) -> "ExperimentConfig":
    """Returns a copy with dotted-path fields replaced; values are strings parsed by the field's type."""
    result = self
    for path, text in assignments.items():
      result = _replace_path(result, path.split("."), text, path)
    return result


def parse_assignments(text: str) -> dict[str, str]:
  """Parses `a.b=1,c.d=x` (commas inside parentheses or brackets are kept: `data.image_size=(32,32)`)."""
  assignments: dict[str, str] = {}
  depth, start, parts = 0, 0, []
  for i, char in enumerate(text):
    if char in "([":
      depth += 1
    elif char in ")]":
      depth -= 1
    elif char == "," and depth == 0:
      parts.append(text[start:i])
      start = i + 1
  parts.append(text[start:])
  for part in (p.strip() for p in parts):
    if not part:
      continue
    if "=" not in part:
      raise ConfigError(f"Override '{part}' has no '='. Write overrides as path=value, e.g. trainer.epochs=5.")
    key, value = part.split("=", 1)
    assignments[key.strip()] = value.strip()
  return assignments


def _check(ok: bool, field: str, value: Any, expected: str) -> None:
  if not ok:
    raise ConfigError(f"Invalid {field}={value!r}: expected {expected}.")


def _field_types(cls: type) -> dict[str, Any]:
  return typing.get_type_hints(cls)


def _from_dict(cls: type, values: dict[str, Any], prefix: str):
  types = _field_types(cls)
  kwargs = {}
  for key, value in values.items():
    if key not in types:
      raise ConfigError(f"Unknown config field '{prefix}{key}'. Known fields: {', '.join(sorted(types))}.")
    if dataclasses.is_dataclass(types[key]):
      kwargs[key] = _from_dict(types[key], value, f"{prefix}{key}.")
    elif typing.get_origin(types[key]) is tuple:
      kwargs[key] = tuple(value)
    else:
      kwargs[key] = value
  return cls(**kwargs)


def _replace_path(node: Any, path: list[str], text: str, full_path: str):
  types = _field_types(type(node))
  key = path[0]
  if key not in types:
    raise ConfigError(f"Unknown config field '{full_path}': '{key}' is not one of {', '.join(sorted(types))}.")
  if len(path) == 1:
    if dataclasses.is_dataclass(types[key]):
      raise ConfigError(f"'{full_path}' is a group of settings; name one of its fields, e.g. {full_path}."
                        f"{next(iter(_field_types(types[key])))}=...")
    return dataclasses.replace(node, **{key: _parse_value(types[key], text, full_path)})
  if not dataclasses.is_dataclass(types[key]):
    raise ConfigError(f"Unknown config field '{full_path}': '{key}' has no sub-fields.")
  return dataclasses.replace(node, **{key: _replace_path(getattr(node, key), path[1:], text, full_path)})


def _parse_value(kind: Any, text: str, path: str):
  try:
    if kind is bool:
      lowered = text.lower()
      if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(text)
      return lowered in ("true", "1", "yes")
    if kind is int:
      return int(text)
    if kind is float:
      return float(text)
    if kind is str:
      return text
    if typing.get_origin(kind) is tuple:
      stripped = text.strip().strip("()[]").strip()
      return tuple(int(v) for v in stripped.split(",") if v.strip()) if stripped else ()
  except ValueError:
    pass
  raise ConfigError(f"Cannot read '{text}' for {path}: expected a value of type "
                    f"{getattr(kind, '__name__', str(kind))}.")
