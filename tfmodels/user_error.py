"""The one base of every error the project raises for a user to act on."""


class UserError(Exception):
  """An error whose message names the problem and the way out.

  The command-line tools print it as `error: <message>` and exit 1, without a traceback (`tfmodels.cli`); any other
  exception is a bug and keeps its traceback. Each layer raises its own subclass (`ConfigError`, `DataError`,
  `TrainingError`, `ArtifactError`, `ExportError`, `ServingError`, `EdgeError`, `BenchmarkError`). This module
  imports nothing, so the edge runtime, which runs without TensorFlow, shares it.
  """
