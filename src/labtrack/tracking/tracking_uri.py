"""The process's tracking URI, as set by ``set_tracking_uri``; see ``env.resolve_tracking_uri``.

It imports nothing of labtrack's tracking modules (``client`` imports it): what depends on
the URI (the cached client, the active experiment in ``state``) compares ``setting_count()``
with the count it was made under instead of being told of a change.
"""

from __future__ import annotations

import itertools

from labtrack import env

_explicit_uri: str | None = None
_settings = itertools.count(1)  # next() is atomic in CPython: concurrent calls get distinct counts
_setting_count = 0


def set_tracking_uri(uri: str | None) -> None:
    """Use this store for the rest of the process (None returns to the environment's choice).

    Accepts ``sqlite:///path/to/file.db``, ``postgresql://...``, a plain file path, or
    ``http(s)://host:port`` for a tracking server speaking MLflow's REST API (``labtrack
    server`` or ``mlflow server``). The active experiment is forgotten: it belongs to the old
    store.
    """
    global _explicit_uri, _setting_count
    if uri is not None and not isinstance(uri, str):
        uri = str(uri)  # pathlib.Path
    _explicit_uri = uri
    _setting_count = next(_settings)


def setting_count() -> int:
    """How many times ``set_tracking_uri`` was called: what was cached under an older count
    belongs to the store chosen then."""
    return _setting_count


def get_tracking_uri() -> str:
    """The tracking URI in effect: ``set_tracking_uri``'s, else the environment's."""
    return env.resolve_tracking_uri(_explicit_uri)


def is_tracking_uri_set() -> bool:
    """Whether a store was chosen, by ``set_tracking_uri`` or ``LABTRACK_TRACKING_URI``."""
    return _explicit_uri is not None or env.TRACKING_URI.get() is not None
