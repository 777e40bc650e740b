"""MLflow 3's logged models: a model with its own id (``m-<32 hex>``), params, tags and
metrics, whose files live at ``artifact_location`` and load as ``models:/<model_id>``."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from labtrack.errors import InvalidParameter

MODEL_ID = re.compile(r"m-[0-9a-f]{32}")


class LoggedModelStatus:
    """A logged model's status, by MLflow's names: ``PENDING`` while its files are being
    written, then ``READY`` (or ``FAILED``)."""

    UNSPECIFIED = "UNSPECIFIED"
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"

    ALL = (UNSPECIFIED, PENDING, READY, FAILED)
    # MLflow's REST API spells them as the protobuf enum's names (or numbers, in this order).
    PROTO = (
        "LOGGED_MODEL_STATUS_UNSPECIFIED",
        "LOGGED_MODEL_PENDING",
        "LOGGED_MODEL_READY",
        "LOGGED_MODEL_UPLOAD_FAILED",
    )

    @classmethod
    def canonical(cls, status: object) -> str:
        """A status from its name (``READY``), MLflow's proto name or number; anything else
        is refused."""
        text = str(getattr(status, "value", status)).strip()
        if text.upper() in cls.ALL:
            return text.upper()
        if text in cls.PROTO:
            return cls.ALL[cls.PROTO.index(text)]
        if text.isdigit() and int(text) < len(cls.ALL):
            return cls.ALL[int(text)]
        raise InvalidParameter(
            f"Invalid logged model status {status!r}; expected one of {', '.join(cls.ALL)}"
        )

    @classmethod
    def to_proto(cls, status: str) -> str:
        """The protobuf enum name of a status."""
        return cls.PROTO[cls.ALL.index(status)]


@dataclass(frozen=True)
class LoggedModelMetric:
    """A metric point linked to a logged model: the run that logged it, and the dataset it was
    computed on (``dataset_name`` and ``dataset_digest``, both or neither)."""

    key: str
    value: float
    timestamp: int
    step: int
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class LoggedModel:
    """A logged model (MLflow 3's ``LoggedModel``). Times are milliseconds since the epoch;
    ``metrics`` are every point linked to it, oldest step first."""

    experiment_id: str
    model_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    model_type: str | None = None
    source_run_id: str | None = None
    status: str = LoggedModelStatus.READY
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[LoggedModelMetric] = field(default_factory=list)

    @property
    def model_uri(self) -> str:
        """``models:/<model_id>``: what ``lt.load_model`` and ``register_model`` take."""
        return f"models:/{self.model_id}"

    def to_dictionary(self) -> dict:
        """The model as a plain dict (one row of ``search_logged_models``' DataFrame)."""
        data = asdict(self)
        data["metrics"] = list(self.metrics)
        return data
