"""Plain, immutable records. No I/O here: the store builds them from rows."""

from labtrack.entities.experiment import Experiment
from labtrack.entities.metric import ExperimentTag, Metric, Param, RunTag
from labtrack.entities.run import Run, RunData, RunInfo
from labtrack.entities.status import LifecycleStage, RunStatus, ViewType

__all__ = [
    "Experiment",
    "ExperimentTag",
    "LifecycleStage",
    "Metric",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "ViewType",
]
