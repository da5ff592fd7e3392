"""What the edge is given: `.tflite` files, one per mode, and what is checked of them beyond the gates.

  tflite_modes        the table of TFLite modes (`MODES`) and their converter settings
  tflite_conversion   conversion SavedModel, and one converter subprocess per mode
  lstm_graph          fused (or unrolled) LSTM graphs for the converter
  transformer_graph   attention masking for the converter that full-integer quantization survives
  next_token_graph    a language model as next-token, prefill and decode functions, for serving and the converter
  decode_path_runner  the gate's runner of a language-model file through its cached decode path
  tflite_ops          ops, versions and Flex/custom ops of a `.tflite` file
  tflite_metadata     the standard TFLite metadata written inside each file
  micro_check         the full_int8 file on TensorFlow Lite Micro's interpreter
"""
