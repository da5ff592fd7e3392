r"""Trains a model on a built-in or user data set, with checkpoints, resuming and a test-split evaluation.

  python tools/train.py --model=cnn --dataset=digits --model_dir=runs/digits_cnn --epochs=20

Text:   python tools/train.py --model=transformer --dataset=rotten_tomatoes --model_dir=runs/rt_transformer
Language models (text generation): --model=transformer_lm or lstm_lm with --dataset=novels or --dataset=text:PATH
(a UTF-8 text file or a folder of .txt files); then tools/generate.py --model_dir=... --prompt="...".
Yours:  --dataset=images:DIR (DIR/<label>/*.png or DIR/train|test/<label>/...) or --dataset=csv:PATH (text,label).
TFDS:   --dataset=tfds:NAME[/CONFIG][:VERSION], read from --data_dir (DIR/NAME/CONFIG/VERSION) or prepared on first use
        (--manual_dir for sets such as imagenet2012).
Text classifiers on your own data pretrain their encoder on the unlabelled texts first when validation says it
helps (--pretrain=auto, their default); --pretrain_corpus=novels|text:PATH|tfds:NAME adds unlabelled text, and
--init_from=RUN/pretraining starts from an earlier run's pretrained encoder.
Any config field: --params=model.cnn.dropout=0.3,data.sequence_length=48 (see tfmodels/config.py).
"""

import tfmodels.tool_start  # pylint: disable=unused-import  (first: sys.path, then TensorFlow quiet)

from absl import app, flags  # pylint: disable=g-import-not-at-top

from tfmodels.config import MIXED_PRECISION_NAMES, MODEL_NAMES, PRETRAIN_MODES, STRATEGY_NAMES

_MODEL = flags.DEFINE_enum("model", "cnn", MODEL_NAMES, "Architecture.")
_DATASET = flags.DEFINE_string("dataset", "digits", "digits, fashion_mnist, rotten_tomatoes, images:DIR, csv:PATH or "
                               "tfds:NAME; for the language models novels, text:PATH or tfds:NAME (texts).")
_MODEL_DIR = flags.DEFINE_string("model_dir", None, "Where checkpoints, logs and the trained model go.", required=True)
_DATA_DIR = flags.DEFINE_string("data_dir", None, "Cache of fetched and prepared data (default ~/.cache/tfmodels).")
_MANUAL_DIR = flags.DEFINE_string("manual_dir", None, "Source files of a tfds:NAME set that cannot be downloaded.")
_EPOCHS = flags.DEFINE_integer("epochs", None, "Passes over the training split.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", None, "Global batch size (split across replicas).")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", None, "Adam learning rate.")
_STRATEGY = flags.DEFINE_enum("strategy", "auto", STRATEGY_NAMES, "tf.distribute strategy.")
_MIXED_PRECISION = flags.DEFINE_enum("mixed_precision", "auto", MIXED_PRECISION_NAMES, "Dtype policy.")
_JIT_COMPILE = flags.DEFINE_bool("jit_compile", False, "Compile the train step with XLA.")
_SEED = flags.DEFINE_integer("seed", None, "Seed of weights, shuffling and dropout.")
_PRETRAIN = flags.DEFINE_enum("pretrain", None, PRETRAIN_MODES, "Pretrain a text classifier's encoder on unlabelled "
                               "text: on, off, or auto (pretrain, train from scratch too, keep the better on "
                               "validation). Default: auto for csv:/tfds: text, off for the built-in presets.")
_PRETRAIN_CORPUS = flags.DEFINE_string("pretrain_corpus", None, "Unlabelled text pretraining reads besides the "
                                       "training texts: novels, text:PATH or tfds:NAME.")
_INIT_FROM = flags.DEFINE_string("init_from", None, "Start from the pretrained encoder of an earlier run "
                                 "(its <model_dir>/pretraining).")
_PARAMS = flags.DEFINE_string("params", "", "Config overrides: path=value[,path=value...].")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
  from tfmodels import cli  # pylint: disable=g-import-not-at-top
  from tfmodels.training import experiment  # pylint: disable=g-import-not-at-top
  with cli.user_errors_exit():
    config = experiment.config_from_flags(
        model=_MODEL.value, dataset=_DATASET.value, data_dir=_DATA_DIR.value, manual_dir=_MANUAL_DIR.value,
        epochs=_EPOCHS.value,
        batch_size=_BATCH_SIZE.value, learning_rate=_LEARNING_RATE.value, strategy=_STRATEGY.value,
        mixed_precision=_MIXED_PRECISION.value, jit_compile=_JIT_COMPILE.value, seed=_SEED.value,
        pretrain=_PRETRAIN.value, pretrain_corpus=_PRETRAIN_CORPUS.value, init_from=_INIT_FROM.value,
        params=_PARAMS.value)
    experiment.train(config, _MODEL_DIR.value)


if __name__ == "__main__":
  app.run(main)
