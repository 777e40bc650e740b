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
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True)
class ExperimentTag:
    key: str
    value: str
