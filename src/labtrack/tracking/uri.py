"""The process's tracking URI, as set by ``set_tracking_uri``; see ``env.resolve_tracking_uri``."""

from __future__ import annotations

from labtrack import env

_explicit_uri: str | None = None


def set_tracking_uri(uri: str | None) -> None:
    """Use this store for the rest of the process (None returns to the environment's choice).

    Accepts ``sqlite:///path/to/file.db``, ``postgresql://...`` or a plain file path.
    """
    global _explicit_uri
    if uri is not None and not isinstance(uri, str):
        uri = str(uri)  # pathlib.Path
    _explicit_uri = uri
    from labtrack.tracking import fluent  # the active experiment belongs to the old store

    fluent._forget_experiment()


def get_tracking_uri() -> str:
    return env.resolve_tracking_uri(_explicit_uri)


def is_tracking_uri_set() -> bool:
    return _explicit_uri is not None or env.TRACKING_URI.get() is not None
