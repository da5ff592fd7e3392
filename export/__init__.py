"""Export stage: serving SavedModel, TFLite files per mode, verification against Keras, and the export report.

Entry point: `export.exporter.Exporter(model_dir, export_dir, ...).run()` (or `tools/export.py`). The modules:
  exporter            orchestrates one export (staging, publishing, conversion, gates) and writes the report
  export_config       the export's settings (`ExportConfig`)
  tasks/              what depends on the kind of model: `ClassifierTask`, `LanguageModelTask` (`task_for`)
  saved_model_export  serving signatures on raw inputs; versioned, atomic publication
  warmup_requests     TF Serving warmup requests inside each version
  serving_repository  OUT/serving as TF Serving reads it: models.config, version labels, pruning
  batching_parameters TF Serving's batching parameters file
  tflite_modes        the table of TFLite modes (`MODES`) and their converter settings
  tflite_conversion   conversion SavedModel, and one converter subprocess per mode
  lstm_graph          fused (or unrolled) LSTM graphs for the converter
  language_model_saved_model  their serving signatures: next token, and generation in the graph
  graph_text_generator        the generation loop as a TensorFlow graph
  next_token_graph            a language model as a next-token function, for serving and the converter
  next_token_verification     test windows and figures (perplexity, agreement) of language models
  transformer_graph           attention masking for the converter that full-integer quantization survives
  tflite_ops          ops, versions and Flex/custom ops of a `.tflite` file
  verification        runs artifacts and measures them against Keras
  verification_gates  the per-mode thresholds
  export_report       report.json, report.md and the charts

The package imports nothing heavy itself: the converter subprocesses import only what converting needs.
"""
