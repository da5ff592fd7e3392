"""The single error type of the data layer."""


class DataError(ValueError):
  """Input data is missing, malformed or unreachable; the message names the problem and the fix."""
