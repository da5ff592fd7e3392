"""The single error type of the data layer."""

from tfmodels import cli


@cli.register_user_error
class DataError(ValueError):
  """Input data is missing, malformed or unreachable; the message names the problem and the fix."""
