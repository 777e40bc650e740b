from __future__ import annotations

from dataclasses import dataclass, field

from labtrack.entities.mlflow_object import MlflowObject


@dataclass(frozen=True)
class Experiment(MlflowObject):
    """A named group of runs. Ids are strings, as in MLflow; ``dict(experiment)`` gives its
    fields by name."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None
