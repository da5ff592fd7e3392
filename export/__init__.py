"""Export stage: serving SavedModel, TFLite files per mode, verification against Keras, and the export report.

Entry point: `export.exporter.Exporter(model_dir, export_dir, ...).run()` (or `tools/export.py`). The modules:
  exporter            orchestrates one export (staging, publishing, conversion, gates) and writes the report
  export_config       the export's settings (`ExportConfig`)
  tasks/              what depends on the kind of model: `ClassifierTask`, `LanguageModelTask` (`task_for`)
  artifact_result     one artifact's entry of the report (`ArtifactResult`)
  serving/            the serving SavedModel, its warmup requests and the TF Serving repository
  tflite/             the TFLite modes, conversion, graphs for the converter, the metadata inside each file
  next_token_verification     test windows and figures (perplexity, agreement) of language models
  target_recommendation       which file to ship to CPU, GPU and NPU/MCU
  work_directories    staging directories beside what they replace, and their clean-up
  verification        runs artifacts and measures them against Keras
  verification_gates  the per-mode thresholds
  export_report       report.json, report.md and the charts

The package imports nothing heavy itself: the converter subprocesses import only what converting needs.
"""
