"""A request a stand-in refuses, with the gRPC status code and message TF Serving would answer."""

import grpc


class StandInError(Exception):
  """TF Serving's answer to a request it cannot serve.

  Args:
    code: the gRPC status code (the REST stand-in maps it to HTTP as the server does).
    message: the server's message.
  """

  def __init__(self, code: grpc.StatusCode, message: str):
    super().__init__(message)
    self.code = code
    self.message = message
