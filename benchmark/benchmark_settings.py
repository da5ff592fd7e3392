"""How much the benchmark measures: the full run, the `--quick` run, and the workloads both share."""

from __future__ import annotations

import dataclasses

ARCHITECTURES = ("cnn", "lstm", "transformer")
# The seed's CNN (conv 32, conv 64, a 2x2 max-pool after each, dense 128; no BatchNorm, no dropout) on 28x28
# Fashion-MNIST: the network the reference figures (Keras 1.9x PyTorch; LiteRT sizes and latencies) were measured on.
CNN_DATASET = "fashion_mnist"
CNN_PARAMS = ("model.cnn.conv_filters=(32,64),model.cnn.kernel_size=3,model.cnn.dense_units=128,"
              "model.cnn.batch_norm=false,model.cnn.dropout=0.0,data.random_flip=none,trainer.lr_schedule=constant")
CNN_BATCH = 128
# Text models: the Rotten Tomatoes presets of tools/train.py.
TEXT_DATASET = "rotten_tomatoes"
TEXT_BATCH = 64


@dataclasses.dataclass(frozen=True)
class BenchmarkSettings:
  """The size of every measurement.

  Attributes:
    quick: the `--quick` preset (fewer steps, rounds and examples; one epoch per model).
    repeats: alternating rounds of every comparison (each round runs each compared command once).
    threads: thread counts of the inference matrix; training comparisons run with the largest.
    architectures: architectures of the inference matrix.
    cnn_steps: training steps per timed run of the CNN comparisons (batch 128).
    text_steps: training steps per timed run of the pipeline comparison (Transformer, batch 64); a multiple of 16,
      so that a run trains on exactly the texts the pipeline tokenizes (it tokenizes 1,024 at a time).
    train_epochs: epochs of the models trained for the inference matrix (None: the preset's).
    text_model_params: `--params` of the text models trained for the inference matrix (the quick run shortens their
      sequences; widths and vocabulary, and so the file sizes, stay the presets').
    latency_calls: batch-1 calls per runtime per round.
    keras_predict_calls: batch-1 calls of `keras.Model.predict` per round (≈ 50 ms each).
    eval_examples: test examples each runtime's accuracy is measured on.
    throughput_batches: batches of 32 per throughput measurement.
    delegation_calls: calls per round when timing LiteRT with and without XNNPACK.
    cold_start_architectures: architectures whose cold start is measured (the first one is the figure).
    cold_start_rounds: alternating rounds of the cold-start commands.
    cold_start_warmups: untimed rounds before them (the quick run relies on the caches the inference workers warmed,
      having just loaded the same files).
    export_repeats: timed exports of the CNN (`export_verify_s`).
    text_export_examples: test examples text exports verify on (None: the whole split).
    text_calibration_samples: calibration examples of text exports' full_int8 mode.
  """

  quick: bool
  repeats: int
  threads: tuple[int, ...] = (1, 2)
  architectures: tuple[str, ...] = ARCHITECTURES
  cnn_steps: int = 100
  text_steps: int = 128
  train_epochs: dict = dataclasses.field(default_factory=lambda: {"cnn": 5, "lstm": None, "transformer": None})
  text_model_params: str = ""
  latency_calls: int = 100
  keras_predict_calls: int = 20
  eval_examples: int = 2000
  throughput_batches: int = 10
  delegation_calls: int = 200
  cold_start_architectures: tuple[str, ...] = ARCHITECTURES
  cold_start_rounds: int = 10
  cold_start_warmups: int = 1
  export_repeats: int = 3
  text_export_examples: int | None = None
  text_calibration_samples: int = 200

  @classmethod
  def full(cls) -> "BenchmarkSettings":
    return cls(quick=False, repeats=10)

  @classmethod
  def quick_run(cls) -> "BenchmarkSettings":
    """Under 5 minutes on 2 cores: one epoch per model, 32-token text models, fewer steps, rounds, calls and
    examples."""
    return cls(quick=True, repeats=5, cnn_steps=20, text_steps=16,
               train_epochs={"cnn": 1, "lstm": 1, "transformer": 1}, text_model_params="data.sequence_length=32",
               latency_calls=15, keras_predict_calls=3, eval_examples=300, throughput_batches=3, delegation_calls=30,
               cold_start_architectures=("cnn",), cold_start_rounds=5, cold_start_warmups=0, export_repeats=1,
               text_export_examples=300, text_calibration_samples=50)

  def with_overrides(self, *, repeats: int | None = None, threads: tuple[int, ...] | None = None,
                     architectures: tuple[str, ...] | None = None) -> "BenchmarkSettings":
    """These settings with the tool's `--repeats`, `--threads` and `--architectures` applied and checked."""
    changes = {}
    if repeats is not None:
      changes["repeats"] = repeats
    if threads:
      changes["threads"] = tuple(sorted(set(threads)))
    if architectures:
      unknown = sorted(set(architectures) - set(ARCHITECTURES))
      if unknown:
        raise ValueError(f"Unknown architecture(s) {', '.join(unknown)}: use any of {', '.join(ARCHITECTURES)}.")
      changes["architectures"] = tuple(name for name in ARCHITECTURES if name in architectures)
      changes["cold_start_architectures"] = tuple(name for name in self.cold_start_architectures
                                                  if name in architectures) or changes["architectures"][:1]
    settings = dataclasses.replace(self, **changes)
    if settings.repeats < 1 or min(settings.threads) < 1:
      raise ValueError("repeats and threads must be >= 1.")
    return settings

  @property
  def training_threads(self) -> int:
    return max(self.threads)

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)
