"""Plain, immutable records. No I/O here: the store builds them from rows."""

from labtrack.entities.experiment import Experiment
from labtrack.entities.metric import ExperimentTag, Metric, Param, RunTag
from labtrack.entities.model_registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    RegisteredModel,
    RegistryAction,
    RegistryEvent,
)
from labtrack.entities.run import Run, RunData, RunInfo
from labtrack.entities.status import LifecycleStage, RunStatus, ViewType

__all__ = [
    "Experiment",
    "ExperimentTag",
    "LifecycleStage",
    "Metric",
    "ModelVersion",
    "ModelVersionStage",
    "ModelVersionStatus",
    "Param",
    "RegisteredModel",
    "RegistryAction",
    "RegistryEvent",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "ViewType",
]
