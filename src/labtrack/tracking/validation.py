"""Rules for names and values, checked at the call site so bad input never reaches the store.

Metric validation sits on the hot path: each check has a fast path for the common case
(a known key, a plain float or int, an int step).
"""

from __future__ import annotations

import math
import posixpath
import re
import time

from labtrack.errors import InvalidParameter

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_RUN_NAME_LENGTH = 250

# Letters, digits, and _ - . space / : as MLflow allows ("train/loss", "val acc").
_KEY_PATTERN = re.compile(r"^[\w\-. /:]+$")
_valid_keys: set[str] = set()

# Steps and timestamps are stored as signed 64-bit integers (BIGINT on every backend).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def validate_key(key: object, kind: str = "metric") -> str:
    """A param, metric or tag name: non-empty, at most 250 characters, a relative path that
    stays where it is (no ``..``, no leading ``/``), since names also become file names."""
    if key in _valid_keys:
        return key  # type: ignore[return-value]
    if not isinstance(key, str):
        raise InvalidParameter(f"{kind} name must be a string, got {type(key).__name__}: {key!r}")
    if not key or not key.strip():
        raise InvalidParameter(f"{kind} name must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidParameter(
            f"{kind} name {key[:40]!r}... is {len(key)} characters; the limit is {MAX_KEY_LENGTH}"
        )
    if not _KEY_PATTERN.match(key):
        raise InvalidParameter(
            f"invalid {kind} name {key!r}: use letters, digits and _ - . space / : only"
        )
    if key.startswith("/") or posixpath.normpath(key) != key or ".." in key.split("/"):
        raise InvalidParameter(
            f"invalid {kind} name {key!r}: it must be a plain relative name (no '..', no leading or doubled '/')"
        )
    if len(_valid_keys) < 100_000:
        _valid_keys.add(key)
    return key


def validate_metric_value(key: str, value: object) -> float:
    """A number; NaN and +-inf are allowed and kept as they are."""
    kind = type(value)
    if kind is float:
        return value  # type: ignore[return-value]
    if isinstance(value, (str, bytes)) or not hasattr(value, "__float__"):
        raise InvalidParameter(
            f"metric {key!r} must be a number, got {kind.__name__}: {value!r:.60}"
        )
    try:
        return float(value)  # ints, numpy scalars, 0-d arrays and tensors, Decimal, bool
    except OverflowError:  # an int (or Decimal) beyond float64's range, e.g. 10**400
        raise InvalidParameter(
            f"metric {key!r} value {_abbreviated(value)} is too large for a 64-bit float "
            "(at most about 1.8e308); log it as float('inf') or rescale it"
        ) from None
    except (TypeError, ValueError) as error:
        raise InvalidParameter(
            f"metric {key!r} must be a single number, got {value!r:.60}: {error}"
        ) from None


def validate_point(
    key: object, value: object, timestamp: object = None, step: object = None
) -> tuple[str, float, int, int]:
    """A metric point as ``(key, value, timestamp, step)``: each checked by its own rule, the
    step 0 and the timestamp now (ms) when None. The checks' fast paths are inlined: this
    runs per point."""
    if type(key) is not str or key not in _valid_keys:
        key = validate_key(key)
    if type(value) is not float:
        value = validate_metric_value(key, value)  # type: ignore[arg-type]
    if step is None:
        step = 0
    elif type(step) is not int or not INT64_MIN <= step <= INT64_MAX:  # type: ignore[operator]
        step = validate_step(step, key)  # type: ignore[arg-type]
    if timestamp is None:
        timestamp = int(time.time() * 1000)
    else:
        timestamp = validate_timestamp(timestamp, key)  # type: ignore[arg-type]
    return key, value, timestamp, step  # type: ignore[return-value]


def _abbreviated(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text)} digits)"


def validate_step(step: object, key: str | None = None) -> int:
    """An integer step in signed 64-bit range; ``key`` names the metric in errors."""
    if type(step) is int and INT64_MIN <= step <= INT64_MAX:
        return step  # type: ignore[return-value]
    return _checked_integer(step, "step", key)


def validate_timestamp(timestamp: object, key: str | None = None) -> int:
    """Integer milliseconds since the epoch, in signed 64-bit range."""
    if type(timestamp) is int and INT64_MIN <= timestamp <= INT64_MAX:
        return timestamp  # type: ignore[return-value]
    return _checked_integer(timestamp, "timestamp", key)


def _checked_integer(number: object, what: str, key: str | None) -> int:
    subject = f"{what} of metric {key!r}" if key is not None else what
    unit = " (milliseconds since the epoch)" if what == "timestamp" else ""
    if isinstance(number, float):
        if not math.isfinite(number) or number != int(number):
            raise InvalidParameter(f"{subject} must be a finite integer{unit}, got {number!r}")
        integer = int(number)
    elif isinstance(number, bool) or not hasattr(number, "__index__"):
        raise InvalidParameter(
            f"{subject} must be an integer{unit}, got {type(number).__name__}: {number!r:.60}"
        )
    else:
        integer = number.__index__()  # type: ignore[union-attr]  # numpy and torch integers
    if not INT64_MIN <= integer <= INT64_MAX:
        raise InvalidParameter(
            f"{subject} {_abbreviated(integer)} is outside the signed 64-bit range "
            f"[-2**63, 2**63 - 1] that the store keeps{unit}"
        )
    return integer


def validate_max_results(max_results: object) -> int | None:
    """A positive page size, or None for no limit: 0 or less is a mistake, not "nothing"."""
    if max_results is None:
        return None
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise InvalidParameter(f"max_results must be a positive integer, got {max_results!r}")
    return max_results


def stringify_value(key: str, value: object, kind: str, limit: int) -> str:
    """Params and tags are stored as strings, as in MLflow."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        raise InvalidParameter(
            f"{kind} {key!r} value is {len(text)} characters; the limit is {limit}"
        )
    return text


def validate_params(params: dict) -> dict[str, str]:
    """Params as stored: valid names, values as strings of at most 6,000 characters."""
    return _string_map(params, "param", MAX_PARAM_VALUE_LENGTH)


def validate_tags(tags: dict) -> dict[str, str]:
    """Tags as stored: valid names, values as strings of at most 8,000 characters."""
    return _string_map(tags, "tag", MAX_TAG_VALUE_LENGTH)


def _string_map(values: dict, kind: str, limit: int) -> dict[str, str]:
    """A dict of ``kind`` (param, tag) values checked key by key and stored as strings."""
    if not isinstance(values, dict):
        raise InvalidParameter(f"{kind}s must be a dict, got {type(values).__name__}")
    return {validate_key(k, kind): stringify_value(k, v, kind, limit) for k, v in values.items()}


ERROR_TAG = (
    "labtrack.error"  # where a failed run records its error, from fluent runs and the runner
)


def error_tag_value(text: str) -> str:
    """An error's text as the ``labtrack.error`` tag keeps it: the end, where the cause is."""
    return text[-MAX_TAG_VALUE_LENGTH:]


def validate_name(name: object, what: str, limit: int) -> str:
    """A name that is a string, not blank, of at most ``limit`` characters; ``what`` (e.g.
    "run name") says in the error which name was refused."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter(f"{what} must be a non-empty string, got {name!r}")
    if len(name) > limit:
        raise InvalidParameter(f"{what} is {len(name)} characters; the limit is {limit}")
    return name


#: A run's group (``start_run(group=...)``): a tag, so HTTP stores and searches
#: (``tags.labtrack.group = 'adam'``) carry it as any other.
GROUP_TAG = "labtrack.group"


def validate_group(group: object) -> str:
    """A run's group: a non-blank string that fits in a tag value."""
    return validate_name(group, "group", MAX_TAG_VALUE_LENGTH)


def validate_run_name(name: object) -> str:
    """A run's name: a non-blank string of at most 250 characters."""
    return validate_name(name, "run name", MAX_RUN_NAME_LENGTH)
