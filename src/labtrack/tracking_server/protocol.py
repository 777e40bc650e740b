"""MLflow's REST protocol, both ways: request messages read into checked Python values, and
labtrack's entities written as the JSON that MLflow's ``service.proto`` messages give.

The JSON follows MLflow's ``message_to_json``: proto field names, int64 fields as JSON
numbers, ids and model versions as strings, non-finite doubles as ``"NaN"``/``"Infinity"``,
and empty or unset fields left out. A request is a JSON body, or for GET the query string
(a repeated key is a list); every reader accepts both spellings of a number.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import Any

from labtrack.entities import (
    Experiment,
    Metric,
    ModelVersion,
    RegisteredModel,
    Run,
    RunInfo,
    ViewType,
)
from labtrack.errors import InvalidParameter

Message = dict[str, Any]

# -- reading requests -----------------------------------------------------------------------

_MISSING = object()
_VIEW_TYPES = {
    "ACTIVE_ONLY": ViewType.ACTIVE_ONLY,
    "DELETED_ONLY": ViewType.DELETED_ONLY,
    "ALL": ViewType.ALL,
}
_NON_FINITE = {"nan": math.nan, "infinity": math.inf, "inf": math.inf}


def _missing(name: str) -> InvalidParameter:
    return InvalidParameter(f"Missing value for required parameter '{name}'.")


def _raw(message: Message, name: str, required: bool, aliases: tuple[str, ...] = ()) -> Any:
    for key in (name, *aliases):
        value = message.get(key, _MISSING)
        if isinstance(value, list) and len(value) == 1:  # a query-string key given once
            value = value[0]
        if value is not _MISSING and value is not None and value != "":
            return value
    if required:
        raise _missing(name)
    return _MISSING


def string(
    message: Message, name: str, required: bool = False, aliases: tuple[str, ...] = ()
) -> str | None:
    """A string field (MLflow's older ``run_uuid`` is an alias of ``run_id``)."""
    value = _raw(message, name, required, aliases)
    if value is _MISSING:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{name}': expected a string")
    return str(value)


def integer(message: Message, name: str, required: bool = False) -> int | None:
    """An int64 field: a JSON number or its decimal string."""
    value = _raw(message, name, required)
    if value is _MISSING:
        return None
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    elif isinstance(value, int) and not isinstance(value, bool):
        return value
    elif isinstance(value, float) and value.is_integer():
        return int(value)
    raise InvalidParameter(f"Invalid value {value!r} for parameter '{name}': expected an integer")


def number(value: Any, name: str) -> float:
    """A double: a JSON number, a numeric string, or protobuf's ``"NaN"``/``"Infinity"``."""
    if isinstance(value, str):
        text = value.strip().lower()
        sign = -1.0 if text.startswith("-") else 1.0
        special = _NON_FINITE.get(text.lstrip("+-"))
        if special is not None:
            return sign * special
        try:
            return float(text)
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise InvalidParameter(f"Invalid value {value!r} for parameter '{name}': expected a number")


def boolean(message: Message, name: str) -> bool:
    """A bool field: JSON true/false, or ``true``/``false`` in a query string."""
    value = _raw(message, name, False)
    if value is _MISSING:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidParameter(f"Invalid value {value!r} for parameter '{name}': expected a boolean")


def strings(message: Message, name: str) -> list[str]:
    """A repeated string field (absent: empty)."""
    value = message.get(name)
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{name}': expected strings")
    return items


def key_values(message: Message, name: str) -> dict[str, str]:
    """A repeated ``{key, value}`` field (tags, params) as a dict."""
    return {item["key"]: item.get("value", "") for item in entries(message, name, ("key",))}


def entries(message: Message, name: str, required: tuple[str, ...]) -> list[dict]:
    """A repeated message field: a list of objects, each with the ``required`` keys."""
    value = message.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidParameter(f"Invalid value for parameter '{name}': expected a list of objects")
    for item in value:
        for key in required:
            if item.get(key) in (None, ""):
                raise _missing(f"{name}.{key}")
    return value


def view_type(message: Message, name: str) -> int:
    """``ACTIVE_ONLY`` (the default), ``DELETED_ONLY`` or ``ALL``, by name or number."""
    value = _raw(message, name, False)
    if value is _MISSING:
        return ViewType.ACTIVE_ONLY
    if isinstance(value, str) and value.upper() in _VIEW_TYPES:
        return _VIEW_TYPES[value.upper()]
    if str(value) in {str(v) for v in _VIEW_TYPES.values()}:
        return int(value)
    raise InvalidParameter(
        f"Invalid value {value!r} for parameter '{name}': expected one of {', '.join(_VIEW_TYPES)}"
    )


# -- page tokens for lists labtrack returns whole -----------------------------------------------


def page_window(message: Message, default_size: int | None) -> tuple[int, int | None]:
    """Where a page starts (its ``page_token``, an offset) and how many items it holds (its
    ``max_results``; None: all), for reads that labtrack answers whole."""
    size = integer(message, "max_results") or default_size
    token = string(message, "page_token")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError:
            raise InvalidParameter(f"Invalid page token {token!r}") from None
        if start < 0:
            raise InvalidParameter(f"Invalid page token {token!r}")
    if size is not None and size <= 0:
        raise InvalidParameter(f"max_results must be positive, got {size}")
    return start, size


def offset_page(items: list, message: Message, default_size: int | None) -> tuple[list, str | None]:
    """One page of ``items`` (see ``page_window``) and the token of the next (None at the end):
    for reads that labtrack answers whole, such as a metric's history."""
    start, size = page_window(message, default_size)
    if size is None:
        return items[start:], None
    end = start + size
    following = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], following


# -- writing responses ----------------------------------------------------------------------


def _json_number(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _pairs(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in values.items()]


def _without_empty(fields: dict[str, Any]) -> dict[str, Any]:
    """Proto3 JSON leaves unset fields out."""
    return {key: value for key, value in fields.items() if value not in (None, [], {}, "")}


URI = Callable[[str], str]


def experiment(entity: Experiment, public_uri: URI) -> dict:
    """MLflow's ``Experiment`` message; ``public_uri`` rewrites its artifact location."""
    return _without_empty(
        {
            "experiment_id": entity.experiment_id,
            "name": entity.name,
            "artifact_location": public_uri(entity.artifact_location),
            "lifecycle_stage": entity.lifecycle_stage,
            "last_update_time": entity.last_update_time,
            "creation_time": entity.creation_time,
            "tags": _pairs(entity.tags),
        }
    )


def metric(entity: Metric) -> dict:
    """MLflow's ``Metric`` message."""
    return {
        "key": entity.key,
        "value": _json_number(entity.value),
        "timestamp": entity.timestamp,
        "step": entity.step,
    }


def run_info(info: RunInfo, public_uri: URI) -> dict:
    """MLflow's ``RunInfo`` message (``run_uuid`` too, for older clients)."""
    return _without_empty(
        {
            "run_uuid": info.run_id,
            "run_id": info.run_id,
            "run_name": info.run_name,
            "experiment_id": info.experiment_id,
            "user_id": info.user_id,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "artifact_uri": public_uri(info.artifact_uri),
            "lifecycle_stage": info.lifecycle_stage,
        }
    )


def run(entity: Run, public_uri: URI) -> dict:
    """MLflow's ``Run`` message: info, data (latest metrics, params, tags), inputs."""
    data = entity.data
    if data.latest_metrics:
        metrics = [metric(m) for m in data.latest_metrics]
    else:  # a run just created: no metric yet, or values without their steps
        metrics = [{"key": k, "value": _json_number(v)} for k, v in data.metrics.items()]
    return {
        "info": run_info(entity.info, public_uri),
        "data": _without_empty(
            {"metrics": metrics, "params": _pairs(data.params), "tags": _pairs(data.tags)}
        ),
        "inputs": {},
    }


def model_version(entity: ModelVersion) -> dict:
    """MLflow's ``ModelVersion`` message (the version as a string)."""
    return _without_empty(
        {
            "name": entity.name,
            "version": str(entity.version),
            "creation_timestamp": entity.creation_timestamp,
            "last_updated_timestamp": entity.last_updated_timestamp,
            "user_id": entity.user_id,
            "current_stage": entity.current_stage,
            "description": entity.description,
            "source": entity.source,
            "run_id": entity.run_id,
            "status": entity.status,
            "status_message": entity.status_message,
            "tags": _pairs(entity.tags),
            "run_link": entity.run_link,
            "aliases": list(entity.aliases),
        }
    )


def registered_model(entity: RegisteredModel) -> dict:
    """MLflow's ``RegisteredModel`` message, aliases as ``{alias, version}`` pairs."""
    return _without_empty(
        {
            "name": entity.name,
            "creation_timestamp": entity.creation_timestamp,
            "last_updated_timestamp": entity.last_updated_timestamp,
            "description": entity.description,
            "latest_versions": [model_version(v) for v in entity.latest_versions],
            "tags": _pairs(entity.tags),
            "aliases": [
                {"alias": alias, "version": str(version)}
                for alias, version in entity.aliases.items()
            ],
        }
    )


def page(name: str, items: list[dict], token: str | None) -> dict:
    """A search response: ``{name: items, "next_page_token": token}`` (token left out at the end)."""
    return _without_empty({name: items, "next_page_token": token})
