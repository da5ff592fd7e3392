"""The single error type of the edge runtime."""

from tfmodels.user_error import UserError


class EdgeError(UserError, ValueError):
  """A model, metadata or input cannot be used; the message names the problem and the fix."""
