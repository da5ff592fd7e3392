#!/usr/bin/env bash
# The main job on the embedded real data set (scikit-learn's digits): set up, train, evaluate, export in four TFLite
# modes plus a SavedModel, verify every artifact against the Keras model on the test split, and report.
# Override with environment variables: MODEL=cnn DATASET=digits EPOCHS=20 RUN_DIR=runs/digits_cnn (a language
# model: MODEL=transformer_lm or lstm_lm with DATASET=novels or text:PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
MODEL=${MODEL:-cnn}
DATASET=${DATASET:-digits}
RUN_DIR=${RUN_DIR:-runs/${DATASET}_${MODEL}}
PY=.venv/bin/python
$PY tools/train.py --model="$MODEL" --dataset="$DATASET" --model_dir="$RUN_DIR/model" ${EPOCHS:+--epochs=$EPOCHS}
$PY tools/evaluate.py --model_dir="$RUN_DIR/model"
$PY tools/export.py --model_dir="$RUN_DIR/model" --export_dir="$RUN_DIR/export"
echo
case "$MODEL" in
  *_lm) plot=perplexity_by_position_test.png ;;
  *) plot=confusion_matrix_test.png ;;
esac
echo "Model:   $RUN_DIR/model (evaluation.json, training_curves.png, $plot)"
echo "Export:  $RUN_DIR/export (serving/, tflite/, report.md, report.json)"
