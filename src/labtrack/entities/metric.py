from __future__ import annotations

from dataclasses import dataclass

from labtrack.entities.mlflow_object import MlflowObject


@dataclass(frozen=True)
class Metric(MlflowObject):
    """One point of a metric history. ``timestamp`` is in milliseconds since the epoch."""

    key: str
    value: float
    timestamp: int
    step: int

    def to_dictionary(self) -> dict:
        """``{"key", "value", "timestamp", "step"}``, as MLflow's ``Metric.to_dictionary``."""
        return dict(self)


@dataclass(frozen=True)
class Param(MlflowObject):
    """A run's parameter; values are stored as strings."""

    key: str
    value: str


@dataclass(frozen=True)
class RunTag(MlflowObject):
    """A tag of a run (a string value)."""

    key: str
    value: str


@dataclass(frozen=True)
class ExperimentTag(MlflowObject):
    """A tag of an experiment (a string value)."""

    key: str
    value: str
