"""Entities -> the JSON the sidebar reads. The shapes are written down once, here, and
pinned by ``tests/sidebar/test_contract.py`` against ``js/labextension/fixtures/api.json``,
the data the front end's unit tests run on.

Times are milliseconds since the epoch; missing values are ``null`` (NaN included: JSON has
no NaN). Field names are MLflow's.
"""

from __future__ import annotations

import math
from typing import Any


def number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def experiment(e) -> dict:
    return {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "lifecycle_stage": e.lifecycle_stage,
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
    }


def run_summary(run) -> dict:
    """A row of a run list: who, when, how it went and its latest metrics."""
    info = run.info
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "user_id": info.user_id,
        "metrics": {key: number(value) for key, value in sorted(run.data.metrics.items())},
    }


def run_detail(run, artifacts: list) -> dict:
    return {
        **run_summary(run),
        "lifecycle_stage": run.info.lifecycle_stage,
        "artifact_uri": run.info.artifact_uri,
        "params": dict(sorted(run.data.params.items())),
        "tags": dict(sorted(run.data.tags.items())),
        "artifacts": [artifact(a) for a in artifacts],
    }


def artifact(info) -> dict:
    return {"path": info.path, "is_dir": info.is_dir, "file_size": info.file_size}


def model_version(version, run=None) -> dict:
    """A version, with its source run's name and latest metrics when the caller looked the
    run up (``run``)."""
    return {
        "name": version.name,
        "version": str(version.version),
        "current_stage": version.current_stage,
        "aliases": sorted(version.aliases),
        "run_id": version.run_id,
        "run_name": run.info.run_name if run is not None else None,
        "source": version.source,
        "status": version.status,
        "description": version.description or "",
        "user_id": version.user_id,
        "creation_timestamp": version.creation_timestamp,
        "last_updated_timestamp": version.last_updated_timestamp,
        "tags": dict(sorted(version.tags.items())),
        "metrics": {}
        if run is None
        else {key: number(value) for key, value in sorted(run.data.metrics.items())},
    }


def registered_model(model, versions: list[dict] | None = None) -> dict:
    """A model with the newest version of each stage; with every version when the caller
    looked them up (``versions``, payloads, newest first)."""
    latest = sorted(model.latest_versions, key=lambda v: -v.version)
    return {
        "name": model.name,
        "description": model.description or "",
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
        "aliases": {alias: str(version) for alias, version in sorted(model.aliases.items())},
        "tags": dict(sorted(model.tags.items())),
        "latest_versions": [model_version(v) for v in latest],
        **({"versions": versions} if versions is not None else {}),
    }


def history_event(event) -> dict:
    """A registry change: what was done (``action``), to which alias or tag (``key``), from
    what to what, by whom, when, and why (``comment``)."""
    return {
        "action": event.action,
        "name": event.name,
        "version": None if event.version is None else str(event.version),
        "key": event.key,
        "from": event.from_value,
        "to": event.to_value,
        "user": event.user_id,
        "timestamp": event.timestamp,
        "comment": event.comment,
    }
