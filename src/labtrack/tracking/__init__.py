"""Tracking: the fluent API, ``TrackingClient``, validation, the background writer, source capture.

``labtrack.tracking.MlflowClient`` mirrors ``mlflow.tracking.MlflowClient``.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("Client", "MlflowClient"):  # the full client, registry included, as in MLflow
        from labtrack.client import Client

        return Client
    raise AttributeError(f"module 'labtrack.tracking' has no attribute {name!r}")
