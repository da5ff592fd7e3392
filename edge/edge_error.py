"""The single error type of the edge runtime."""


class EdgeError(ValueError):
  """A model, metadata or input cannot be used; the message names the problem and the fix."""
