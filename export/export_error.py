"""The single error type of the export stage."""

from tfmodels.user_error import UserError


class ExportError(UserError, ValueError):
  """An export cannot start or cannot be published; the message names the problem and the fix."""
