"""Clients of TF Serving for the exported SavedModels: REST (`RestClient`, no TensorFlow needed) and gRPC
(`GrpcClient`, over `tensorflow-serving-api`), with retries (`RetryPolicy`) and one error type (`ServingError`).

`tools/serve_client.py` is the command line over them. The package imports neither client itself, so that the REST
client stays free of TensorFlow: import `tfmodels.serving.rest_client` or `tfmodels.serving.grpc_client`.
"""
