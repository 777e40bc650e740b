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
import re
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

# The methods whose request message is the query string (any body is ignored): HEAD is GET
# without the answer's body, so the permission check and the route must both read it so.
QUERY_METHODS = frozenset({"GET", "HEAD"})

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


# What the store's columns hold: int64 for times, steps and counts; experiment ids are an
# INTEGER column, 32 bits on PostgreSQL. A value past these is the client's error (400), not
# an overflow deep in the database driver (500).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_EXPERIMENT_ID = 2**31 - 1
# ASCII digits only: str.isdigit() and int() also take other scripts' digits ("²", "٣").
_DECIMAL = re.compile(r"[+-]?[0-9]+")


def checked_integer(value: Any, name: str, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    """``value`` (a JSON integer, an integral float or a decimal string of ASCII digits) as an
    int in ``[low, high]``; ``InvalidParameter`` naming ``name`` otherwise. The one check of
    every number and id a request gives."""
    number: int | None = None
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None:
        shown = repr(value)[:40]
        raise InvalidParameter(f"Invalid value {shown} for parameter '{name}': expected an integer")
    if not low <= number <= high:
        raise InvalidParameter(
            f"Invalid value {str(value)[:40]} for parameter '{name}': "
            f"expected an integer from {low} to {high}"
        )
    return number


def experiment_id(value: Any, name: str = "experiment_id") -> str:
    """An experiment id as the store keeps it (``checked_integer``, 0 to ``MAX_EXPERIMENT_ID``)."""
    return str(checked_integer(value, name, 0, MAX_EXPERIMENT_ID))


def integer(message: Message, name: str, required: bool = False) -> int | None:
    """An int64 field: a JSON number or its decimal string."""
    value = _raw(message, name, required)
    return None if value is _MISSING else checked_integer(value, name)


def page_size(message: Message, default: int) -> int:
    """A search's ``max_results``: ``default`` when unset or 0 (as MLflow's protobuf reads
    it), at most ``MAX_PAGE`` (a bigger page is refused, not truncated)."""
    value = _raw(message, "max_results", False)
    size = 0 if value is _MISSING else checked_integer(value, "max_results", 0, MAX_PAGE)
    return size or default


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


def experiment_ids(message: Message, name: str = "experiment_ids") -> list[str]:
    """A repeated experiment id field (``experiment_id``)."""
    return [experiment_id(item, name) for item in strings(message, name)]


def pairs(message: Message, name: str) -> list[tuple[str, str]]:
    """A repeated ``{key, value}`` field (tags, params): string keys, string values (an
    unset value is "")."""
    found = []
    for item in entries(message, name, ("key",)):
        key, value = item["key"], item.get("value")
        # In a JSON body (never a query string), so a one-item list is no string.
        if not isinstance(key, str) or not isinstance(value, (str, type(None))):
            raise InvalidParameter(
                f"Invalid value for parameter '{name}': each key and value must be a string"
            )
        found.append((key, value or ""))
    return found


def key_values(message: Message, name: str) -> dict[str, str]:
    """A repeated ``{key, value}`` field (tags, params) as a dict."""
    return dict(pairs(message, name))


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


# The largest page any read may ask for (MLflow's largest search threshold, that of model
# versions): more is refused rather than sent to the database as an overflowing LIMIT.
MAX_PAGE = 200_000


def page_window(message: Message, default_size: int | None) -> tuple[int, int | None]:
    """Where a page starts (its ``page_token``, an offset) and how many items it holds (its
    ``max_results``; None: all), for reads that labtrack answers whole."""
    size = page_size(message, default_size or 0) or default_size
    token = string(message, "page_token")
    start = 0
    if token:
        try:
            start = checked_integer(base64.urlsafe_b64decode(token.encode()).decode(), "", 0)
        except (ValueError, InvalidParameter):
            raise InvalidParameter(f"Invalid page token {token[:40]!r}") from None
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
    """MLflow's ``Run`` message: info, data (latest metrics, params, tags), inputs, and
    ``outputs`` (the models the run logged) when it logged any."""
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
        **_run_outputs(entity),
    }


def _run_outputs(entity: Run) -> dict:
    """A run's ``outputs`` field (MLflow's ``RunOutputs``), left out when it logged no model."""
    outputs = entity.outputs.model_outputs
    if not outputs:
        return {}
    return {"outputs": {"model_outputs": [m.to_dictionary() for m in outputs]}}


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
            "model_id": entity.model_id,
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
