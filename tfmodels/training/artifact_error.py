"""The error of a model directory that cannot be used as it is; imports nothing of TensorFlow."""

from tfmodels.user_error import UserError


class ArtifactError(UserError, ValueError):
  """A model directory is missing, incomplete or belongs to another run."""
