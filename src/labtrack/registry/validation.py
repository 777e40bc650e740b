"""Rules for registry names and values, checked at the call site.

Model names and aliases appear in model URIs (``models:/name/3``, ``models:/name@champion``),
so they may not contain the characters those URIs use as separators.
"""

from __future__ import annotations

import re
from pathlib import Path

from labtrack.entities import ModelVersionStage
from labtrack.errors import InvalidParameter
from labtrack.tracking.validation import validate_name

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 256
MAX_DESCRIPTION_LENGTH = 50_000
MAX_SOURCE_LENGTH = 8_000

_ALIAS = re.compile(r"[A-Za-z0-9_-]+")
# "3" and "v3" read as version numbers in models:/name/3 and in MLflow's alias rules.
_VERSION_LIKE = re.compile(r"v?[0-9]+", re.IGNORECASE)
_RUN_ID = re.compile(r"[0-9a-f]{32}")
# ASCII digits only: str.isdigit() accepts "²" and "٣", which int() then refuses or misreads.
_DIGITS = re.compile(r"[0-9]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")  # runs:/, models:/, file://, s3://, ...


def validate_model_name(name: object) -> str:
    """A registered model's name: a non-blank string of at most 256 characters, without the
    separators of ``models:/`` URIs."""
    name = validate_name(name, "registered model name", MAX_MODEL_NAME_LENGTH)
    if any(char in name for char in "/@") or not name.isprintable():
        raise InvalidParameter(
            f"invalid registered model name {name!r}: '/', '@' and control characters are not allowed "
            "(they would break models:/ URIs)"
        )
    return name


# Version numbers are INTEGER columns: 32 bits on PostgreSQL.
MAX_VERSION = 2**31 - 1


def validate_version(version: object) -> int:
    """A version number, as an int or a str (MLflow passes strings): 1, "1"."""
    if isinstance(version, bool):
        raise InvalidParameter(f"model version must be a positive integer, got {version!r}")
    if isinstance(version, int):
        number = version
    elif isinstance(version, str) and _DIGITS.fullmatch(version.strip()):
        number = int(version.strip())
    else:
        raise InvalidParameter(f"model version must be a positive integer, got {version!r}")
    if number < 1:
        raise InvalidParameter(f"model version must be a positive integer, got {version!r}")
    if number > MAX_VERSION:
        raise InvalidParameter(
            f"model version {str(number)[:30]} is beyond the largest a store keeps ({MAX_VERSION})"
        )
    return number


def validate_alias(alias: object) -> str:
    if not isinstance(alias, str) or not alias:
        raise InvalidParameter(f"alias must be a non-empty string, got {alias!r}")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameter(f"alias is {len(alias)} characters; the limit is {MAX_ALIAS_LENGTH}")
    if not _ALIAS.fullmatch(alias):
        raise InvalidParameter(f"invalid alias {alias!r}: use letters, digits, '_' and '-' only")
    if alias.lower() == "latest":
        raise InvalidParameter(
            "'latest' is reserved (models:/name/latest means the newest version)"
        )
    if _VERSION_LIKE.fullmatch(alias):
        raise InvalidParameter(
            f"alias {alias!r} looks like a version number; choose a name such as 'champion'"
        )
    return alias


def validate_stages(stages: object) -> tuple[str, ...]:
    """None or empty means every stage; otherwise each stage, case-insensitively."""
    if not stages:
        return ModelVersionStage.ALL
    if isinstance(stages, str):
        stages = [stages]
    return tuple(dict.fromkeys(ModelVersionStage.canonical(stage) for stage in stages))


def validate_text(value: object, what: str, limit: int = MAX_DESCRIPTION_LENGTH) -> str | None:
    """An optional free text (description, comment)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"{what} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise InvalidParameter(f"{what} is {len(value)} characters; the limit is {limit}")
    return value


def validate_source(source: object) -> str:
    if not isinstance(source, str) or not source.strip():
        raise InvalidParameter(
            f"model version source must be a non-empty string (a URI or a path), got {source!r}"
        )
    return validate_text(source, "model version source", MAX_SOURCE_LENGTH)  # type: ignore[return-value]


def absolute_source(source: str) -> str:
    """A source without a URI scheme is a local path: stored absolute, because whoever reads
    it later (another kernel, the Jupyter server) has another working directory."""
    if _SCHEME.match(source):
        return source
    return validate_source(str(Path(source).expanduser().resolve()))


def validate_run_id(run_id: object) -> str | None:
    if run_id is None or run_id == "":
        return None
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise InvalidParameter(f"run_id must be a run's 32-character hex id, got {run_id!r}")
    return run_id
