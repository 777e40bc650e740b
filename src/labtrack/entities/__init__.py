"""Plain, immutable records. No I/O here: the store builds them from rows."""

from labtrack.entities.dataset import Dataset, DatasetInput, InputTag, RunInputs
from labtrack.entities.experiment import Experiment
from labtrack.entities.logged_model import LoggedModel, LoggedModelMetric, LoggedModelStatus
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
from labtrack.entities.run_outputs import LoggedModelOutput, RunOutputs
from labtrack.entities.status import LifecycleStage, RunStatus, ViewType

__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelMetric",
    "LoggedModelOutput",
    "LoggedModelStatus",
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
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "ViewType",
]
