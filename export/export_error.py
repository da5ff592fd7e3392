"""The single error type of the export stage."""

from tfmodels import cli


@cli.register_user_error
class ExportError(ValueError):
  """An export cannot start or cannot be published; the message names the problem and the fix."""
