"""The single error type of the TF Serving clients."""

from tfmodels.user_error import UserError

# What went wrong, as `ServingError.kind`.
CONNECTION = "connection"    # nothing answers at the address
UNAVAILABLE = "unavailable"  # the server is up but cannot take the request now (starting, loading, queue full)
TIMEOUT = "timeout"          # no answer within the timeout
NOT_FOUND = "not_found"      # no such model, version (not loaded) or path
BAD_REQUEST = "bad_request"  # the server refused the request: inputs, signature, label
SERVER = "server"            # any other failure on the server's side
INVALID = "invalid"          # the request cannot be made as given (caught before anything is sent)
RETRYABLE = (CONNECTION, UNAVAILABLE)


class ServingError(UserError, RuntimeError):
  """A request to TF Serving failed; the message names the problem and the way out.

  Args:
    message: what happened and what to do.
    kind: one of `CONNECTION`, `UNAVAILABLE`, `TIMEOUT`, `NOT_FOUND`, `BAD_REQUEST`, `SERVER`, `INVALID`.
    server_message: the server's own error message, when it sent one.
  """

  def __init__(self, message: str, kind: str, server_message: str = ""):
    super().__init__(message)
    self.kind = kind
    self.server_message = server_message

  @property
  def retryable(self) -> bool:
    """Whether trying again later may succeed (nothing listening yet, or the server busy or still loading)."""
    return self.kind in RETRYABLE
