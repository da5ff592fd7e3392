"""The single error type of the data layer."""

from tfmodels.user_error import UserError


class DataError(UserError, ValueError):
  """Input data is missing, malformed or unreachable; the message names the problem and the fix."""
