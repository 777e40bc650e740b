from __future__ import annotations

import re
from dataclasses import dataclass, field

from labtrack.entities.dataset import RunInputs
from labtrack.entities.metric import Metric
from labtrack.entities.mlflow_object import MlflowObject
from labtrack.entities.run_outputs import RunOutputs
from labtrack.errors import InvalidParameter

# What a run id may be: labtrack's and MLflow's (32 hex digits) and other stores' ids, and
# never anything that could leave a folder when it names one.
_RUN_ID = re.compile(r"[0-9A-Za-z_-]{1,32}")


def check_run_id(run_id: object) -> str:
    """``run_id`` if it is a well-formed run id (1 to 32 letters, digits, ``-`` or ``_``);
    else ``InvalidParameter``: for ids that come from elsewhere (an imported bundle, another
    store)."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise InvalidParameter(f"a run id is 1 to 32 letters, digits, '-' or '_', got {run_id!r}")
    return run_id


@dataclass(frozen=True)
class RunInfo(MlflowObject):
    """A run's identity and state: ``status`` is a ``RunStatus``, times are milliseconds since
    the epoch (``end_time`` None while the run is not over), ``lifecycle_stage`` says whether
    it was deleted, and ``artifact_uri`` is where its artifacts go."""

    run_id: str
    experiment_id: str
    run_name: str
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str
    user_id: str = ""

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for ``run_id``."""
        return self.run_id


@dataclass(frozen=True)
class RunData(MlflowObject):
    """A run's params, tags and latest metric values (``metrics``), keyed by name."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    latest_metrics: tuple[Metric, ...] = ()

    _HIDDEN = ("latest_metrics",)  # MLflow's RunData has no such property

    def to_dictionary(self) -> dict:
        """``{"metrics": ..., "params": ..., "tags": ...}``, as MLflow's."""
        return dict(self)


@dataclass(frozen=True)
class Run:
    """A run as read from the store: ``info`` (``RunInfo``), ``data`` (``RunData``),
    ``inputs`` (``RunInputs``: the datasets it logged with ``lt.log_input``) and ``outputs``
    (``RunOutputs``: the models it logged)."""

    info: RunInfo
    data: RunData
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)

    def to_dictionary(self) -> dict:
        """The run as plain dicts, as MLflow's ``Run.to_dictionary``: ``{"info": dict(info),
        "data": {"metrics", "params", "tags"}}``, plus ``"inputs"`` when it used datasets and
        ``"outputs"`` when it logged models."""
        import dataclasses

        result = {"info": dict(self.info), "data": self.data.to_dictionary()}
        inputs = getattr(self, "inputs", None)
        if inputs is not None and getattr(inputs, "dataset_inputs", None):
            result["inputs"] = dataclasses.asdict(inputs)
        outputs = getattr(self, "outputs", None)
        if outputs is not None and outputs.model_outputs:
            result["outputs"] = outputs.to_dictionary()
        return result
