from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One point of a metric history. ``timestamp`` is in milliseconds since the epoch."""

    key: str
    value: float
    timestamp: int
    step: int


@dataclass(frozen=True)
class Param:
    """A run's parameter; values are stored as strings."""

    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    """A tag of a run (a string value)."""

    key: str
    value: str


@dataclass(frozen=True)
class ExperimentTag:
    """A tag of an experiment (a string value)."""

    key: str
    value: str
