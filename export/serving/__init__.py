"""What TF Serving is given: the serving SavedModel and the repository it is served from.

  saved_model_export          serving signatures on raw inputs (pixels, PNG/JPEG bytes, texts)
  language_model_saved_model  a language model's signatures: next token, and generation in the graph
  graph_text_generator        the generation loop as a TensorFlow graph
  warmup_requests             TF Serving warmup requests inside each version
  serving_repository          OUT/serving as TF Serving reads it: models.config, version labels, pruning
  serving_versions            versioned, atomic publication of a version directory
  batching_parameters         TF Serving's batching parameters file
"""
