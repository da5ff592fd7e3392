"""The kinds of export: one task per kind of model, behind `ExportTask`'s protocol.

  export_task          the protocol, and what every task shares (verifying a serving signature, the metadata source)
  classifier_task      image and text classifiers
  language_model_task  language models: next-token artifacts, generation through prefill and decode
"""

from __future__ import annotations

from export.export_config import ExportConfig
from export.tasks.export_task import ExportTask
from tfmodels.training.model_artifact import ModelArtifact


def task_for(artifact: ModelArtifact, config: ExportConfig, name: str) -> ExportTask:
  """The task that exports `artifact`: a language model's or a classifier's."""
  if artifact.config.model.is_language_model:
    from export.tasks.language_model_task import LanguageModelTask  # pylint: disable=g-import-not-at-top
    return LanguageModelTask(artifact, config, name)
  from export.tasks.classifier_task import ClassifierTask  # pylint: disable=g-import-not-at-top
  return ClassifierTask(artifact, config, name)
