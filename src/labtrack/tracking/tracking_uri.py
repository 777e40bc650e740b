"""The process's tracking URI, as set by ``set_tracking_uri``; see ``env.resolve_tracking_uri``.
Also MLflow's registry URI, which in labtrack can only name the tracking store.

It imports nothing of labtrack's tracking modules (``client`` imports it): what depends on
the URI (the cached client, the active experiment in ``state``) compares ``setting_count()``
with the count it was made under instead of being told of a change.
"""

from __future__ import annotations

import itertools

from labtrack import env
from labtrack.errors import InvalidParameter

_explicit_uri: str | None = None
_explicit_registry_uri: str | None = None
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
    """Whether a store was chosen, by ``set_tracking_uri``, ``LABTRACK_TRACKING_URI`` or
    ``MLFLOW_TRACKING_URI``."""
    return _explicit_uri is not None or env.TRACKING_URI.get() is not None


def set_registry_uri(uri: str | None) -> None:
    """MLflow's ``set_registry_uri``. labtrack keeps the model registry in the tracking store,
    so ``uri`` must name that store (None or "" forgets it: the registry follows the tracking
    URI, as by default).

    Raises ``InvalidParameter`` at once if a tracking URI is set and ``uri`` names another
    store. Set before the tracking URI, it is checked when the store is first used.
    """
    global _explicit_registry_uri
    if uri is not None and not isinstance(uri, str):
        uri = str(uri)  # pathlib.Path
    if uri and is_tracking_uri_set():
        check_same_store(uri, get_tracking_uri())
    _explicit_registry_uri = uri or None


def registry_uri_setting() -> str | None:
    """What ``set_registry_uri`` set (None if nothing): part of what a cached client was made
    under, since it is checked against the store when the client is made."""
    return _explicit_registry_uri


def get_registry_uri() -> str:
    """The registry URI in effect, as given: ``set_registry_uri``'s, else
    ``MLFLOW_REGISTRY_URI``, else the tracking URI (labtrack's registry lives in the tracking
    store)."""
    return _explicit_registry_uri or env.MLFLOW_REGISTRY_URI.get() or get_tracking_uri()


def check_registry_uri(tracking_uri: str) -> None:
    """Raise ``InvalidParameter`` if a registry URI is set (by ``set_registry_uri`` or
    ``MLFLOW_REGISTRY_URI``) that names a store other than ``tracking_uri``: registering a
    model there is what the caller asked for, and labtrack would register it in the tracking
    store instead."""
    uri = _explicit_registry_uri or env.MLFLOW_REGISTRY_URI.get()
    if uri:
        check_same_store(uri, tracking_uri)


def check_same_store(uri: str, tracking_uri: str) -> None:
    """Raise ``InvalidParameter`` unless the registry URI ``uri`` names the store at
    ``tracking_uri`` (labtrack keeps the registry there); the message shows no password."""
    from labtrack.store.spool import display_uri

    try:
        same = env.resolve_tracking_uri(uri) == env.resolve_tracking_uri(tracking_uri)
    except InvalidParameter:  # "databricks-uc" and the like: not a labtrack store at all
        same = False
    if not same:
        raise InvalidParameter(
            f"registry URI {display_uri(uri)!r} names another store than the tracking URI "
            f"{display_uri(tracking_uri)!r}: labtrack keeps the model registry in the tracking store. "
            "Leave the registry URI unset (or set it to the tracking URI), or set the "
            "tracking URI to the registry's store."
        )
