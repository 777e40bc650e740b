"""The models a run logged (MLflow 3's ``LoggedModelOutput`` and ``RunOutputs``): what
``run.outputs.model_outputs`` reads, from the logged models' ``source_run_id`` and ``step``."""

from __future__ import annotations

from dataclasses import dataclass, field

from labtrack.entities.mlflow_object import MlflowObject


@dataclass(frozen=True)
class LoggedModelOutput(MlflowObject):
    """One model a run logged: its ``model_id`` and the run's ``step`` when it logged it."""

    model_id: str
    step: int = 0

    def to_dictionary(self) -> dict:
        """``{"model_id": ..., "step": ...}``, as MLflow's."""
        return {"model_id": self.model_id, "step": self.step}


@dataclass(frozen=True)
class RunOutputs(MlflowObject):
    """What a run produced: ``model_outputs`` (MLflow's ``RunOutputs``)."""

    model_outputs: list[LoggedModelOutput] = field(default_factory=list)

    def to_dictionary(self) -> dict:
        """``{"model_outputs": [{"model_id": ..., "step": ...}, ...]}``, as MLflow's."""
        return {"model_outputs": [m.to_dictionary() for m in self.model_outputs]}
