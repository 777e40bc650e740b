"""MLflow 3's logged models, as far as MLflow's client needs them to log and register a model
(``mlflow.<flavor>.log_model`` creates one, uploads its files to its artifact location, and
``register_model`` finds it by name in the run).

labtrack's store has no logged models: a model logged in a run lives in the run's artifacts
(``runs:/<run_id>/<name>``, what labtrack's own ``log_model`` writes), so the server puts a
logged model's files there, and keeps the record (name, tags, params, status) as a small JSON
file in the artifact destination, ``logged-models/<model_id>.json``. A model logged without a
run goes to ``<experiment's artifact location>/models/<model_id>/artifacts``, as in MLflow.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from typing import Any

from labtrack.errors import InvalidParameter, NotFound

RECORDS = "logged-models"
_STATUSES = ("LOGGED_MODEL_STATUS_UNSPECIFIED", "LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY")
_STATUSES += ("LOGGED_MODEL_UPLOAD_FAILED",)
_MODEL_ID = re.compile(r"m-[0-9a-f]{32}")
# ``name = 'x'`` / ``source_run_id = "x"`` terms joined by AND: the filters MLflow's client
# sends when it looks for a run's model.
_TERM = re.compile(
    r"\s*(?:attributes\.)?(name|source_run_id|model_id)\s*=\s*(?:'([^']*)'|\"([^\"]*)\")\s*",
    re.IGNORECASE,
)


def status_name(value: Any) -> str:
    """A ``LoggedModelStatus`` by name or by number."""
    if isinstance(value, str) and value in _STATUSES:
        return value
    if str(value).isdigit() and int(value) < len(_STATUSES):
        return _STATUSES[int(value)]
    raise InvalidParameter(f"Invalid logged model status {value!r}; expected one of {_STATUSES}")


def parse_filter(text: str | None) -> dict[str, str]:
    """The equality terms of a logged-model search filter; anything else is refused."""
    terms: dict[str, str] = {}
    for part in re.split(r"\s+AND\s+", text or "", flags=re.IGNORECASE):
        if not part.strip():
            continue
        match = _TERM.fullmatch(part)
        if match is None:
            raise InvalidParameter(
                f"unsupported logged model filter {part.strip()!r}: labtrack server searches "
                "logged models by name = '...', source_run_id = '...' and model_id = '...' (AND)"
            )
        field, single, double = match.groups()
        terms[field.lower()] = single if single is not None else double
    return terms


class LoggedModels:
    """The records of logged models, one JSON file each in ``repository`` (the artifact
    destination's storage)."""

    def __init__(self, repository):
        self._repository = repository
        self._lock = threading.Lock()  # read-modify-write of one record at a time

    def create(self, fields: dict[str, Any], artifact_location_of) -> dict:
        """A new PENDING record from ``fields`` (experiment_id, name, model_type, source_run_id,
        tags, params); ``artifact_location_of(model_id)`` says where its files go."""
        model_id = f"m-{secrets.token_hex(16)}"
        now = int(time.time() * 1000)
        record = {
            **fields,
            "model_id": model_id,
            "name": fields.get("name") or model_id,
            "artifact_location": artifact_location_of(model_id, fields.get("name") or model_id),
            "creation_timestamp_ms": now,
            "last_updated_timestamp_ms": now,
            "status": "LOGGED_MODEL_PENDING",
        }
        self._write(record)
        return record

    def get(self, model_id: str) -> dict:
        if not _MODEL_ID.fullmatch(model_id or ""):
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        try:
            record = json.loads(self._repository.read_bytes(f"{RECORDS}/{model_id}.json"))
        except (NotFound, FileNotFoundError):
            raise NotFound(f"Logged model with ID '{model_id}' not found.") from None
        if record.get("deleted"):
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return record

    def update(self, model_id: str, change) -> dict:
        """Apply ``change(record)`` to a record and store it."""
        with self._lock:
            record = self.get(model_id)
            change(record)
            record["last_updated_timestamp_ms"] = int(time.time() * 1000)
            self._write(record)
        return record

    def search(self, experiment_ids: list[str], filter_string: str | None) -> list[dict]:
        """The live records of those experiments that match the filter, newest first."""
        terms = parse_filter(filter_string)
        found = []
        for info in self._repository.list_artifacts(RECORDS):
            model_id = info.path.rsplit("/", 1)[-1].removesuffix(".json")
            try:
                record = self.get(model_id)
            except NotFound:
                continue
            if record["experiment_id"] in experiment_ids and all(
                record.get(field) == value for field, value in terms.items()
            ):
                found.append(record)
        return sorted(found, key=lambda r: r["creation_timestamp_ms"], reverse=True)

    def _write(self, record: dict) -> None:
        self._repository.write_bytes(
            f"{RECORDS}/{record['model_id']}.json", json.dumps(record).encode()
        )


def to_json(record: dict, public_uri) -> dict:
    """A record as MLflow's ``LoggedModel`` message."""
    info = {
        key: record.get(key)
        for key in (
            "model_id",
            "experiment_id",
            "name",
            "creation_timestamp_ms",
            "last_updated_timestamp_ms",
            "status",
            "model_type",
            "source_run_id",
        )
    }
    info["artifact_uri"] = public_uri(record["artifact_location"])
    info["tags"] = [{"key": k, "value": v} for k, v in (record.get("tags") or {}).items()]
    params = [{"key": k, "value": v} for k, v in (record.get("params") or {}).items()]
    return {
        "info": {k: v for k, v in info.items() if v not in (None, "", [])},
        "data": {"params": params} if params else {},
    }
