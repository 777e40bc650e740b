"""Running ``labtrack server`` with uvicorn: one process, or ``workers`` processes that each
build the app from the environment (uvicorn's factory import string)."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from labtrack import env
from labtrack.errors import InvalidParameter
from labtrack.store.rest.http import display_uri, is_http_uri


def absolute_destination(uri: str) -> str:
    """A local folder given relative to the working folder, made absolute: the store keeps it
    as where new experiments' artifacts go, whichever folder a later client runs in."""
    if urlparse(uri).scheme and len(urlparse(uri).scheme) > 1:
        return uri
    return os.path.abspath(os.path.expanduser(uri))


def open_store(uri: str) -> None:
    """Open the store at ``uri`` once, before serving: one that cannot be opened (no database
    server, wrong credentials, a folder that cannot be written) is a ``StoreError`` naming it
    with its password masked, rather than a driver's stack trace from the first request."""
    from labtrack.errors import LabtrackError, StoreError
    from labtrack.store import get_store
    from labtrack.store.spool import display_uri

    try:
        get_store(uri)
    except LabtrackError:
        raise
    except Exception as error:
        shown = display_uri(uri)
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        try:
            password = urlparse(uri).password
        except ValueError:  # not a URL: display_uri shows none of it that may be secret
            password = None
        reason = reason.replace(uri, shown)
        if password:
            reason = reason.replace(str(password), "***")
        raise StoreError(f"cannot open the store {shown}: {reason}") from None


def warn_if_default_experiment_outside(uri: str, artifacts_destination: str | None) -> bool:
    """Say on stderr, loudly, when the Default experiment (0) keeps its artifacts outside the
    destination: the store made it before the server first ran with this destination (for
    instance ``labtrack server users add`` without ``--artifacts-destination``). Runs made
    without naming an experiment then get an artifact URI that is a path on the server, and
    MLflow's client writes their files to its own disk. Whether it warned."""
    import sys

    from labtrack.client import Client
    from labtrack.errors import NotFound
    from labtrack.tracking_server.artifacts import PROXY_SCHEME, Destination

    client = Client(uri)
    destination = Destination(artifacts_destination or client.store.artifact_root)
    try:
        location = client.get_experiment("0").artifact_location
    except NotFound:  # a store this server may only read, made without one
        return False
    if (destination.public_uri(location) or "").startswith(PROXY_SCHEME):
        return False
    print(
        f"labtrack server: WARNING: the Default experiment (0) keeps its artifacts at "
        f"{location}, outside the artifacts destination {destination.root_uri}: files of runs "
        "made without naming an experiment would not go through the server. Have clients "
        "name their experiment (mlflow.set_experiment), or start again from a new store made "
        "by `labtrack server --artifacts-destination ...` or `labtrack server users "
        "--artifacts-destination ... add ...` with the same destination.",
        file=sys.stderr,
    )
    return True


def store_uri(backend_store_uri: str | None) -> str:
    """The store the server keeps its runs in: ``backend_store_uri``, else
    ``LABTRACK_TRACKING_URI``, else the per-user default store. Not MLflow's
    ``MLFLOW_TRACKING_URI`` (MLflow's server ignores it too): a shell set up for clients would
    name this very server. Raises ``InvalidParameter`` for an http(s) URI."""
    uri = env.resolve_tracking_uri(
        backend_store_uri or env.TRACKING_URI.get(fallback=False) or env.default_tracking_uri()
    )
    if is_http_uri(uri):
        raise InvalidParameter(
            "labtrack server keeps its runs in a database (sqlite:///... or postgresql://...), "
            f"not behind another server: got {display_uri(uri)}"
        )
    return uri


def serve(
    backend_store_uri: str | None = None,
    artifacts_destination: str | None = None,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    log_level: str = "info",
    auth: bool = False,
    default_permission: str | None = None,
) -> None:
    """Serve MLflow's REST API over the store at ``backend_store_uri`` (the current tracking
    URI by default) until interrupted, with artifacts proxied under ``artifacts_destination``.
    ``auth`` (or ``LABTRACK_SERVER_AUTH=1``) requires credentials and enforces permissions;
    ``default_permission`` applies where a user has no grant (see
    ``labtrack.tracking_server.auth``).

    >>> serve("postgresql://user:pw@db/labtrack", "s3://bucket/artifacts", host="0.0.0.0")  # doctest: +SKIP
    """
    import uvicorn

    uri = store_uri(backend_store_uri)
    os.environ[env.TRACKING_URI.name] = uri
    if artifacts_destination:
        artifacts_destination = absolute_destination(artifacts_destination)
        os.environ[env.ARTIFACTS_URI.name] = artifacts_destination
    from labtrack.tracking_server import auth as server_auth
    from labtrack.tracking_server.auth.permissions import get_permission

    if auth:  # the workers build the app from the environment
        os.environ[server_auth.AUTH.name] = "1"
    if default_permission:
        os.environ[server_auth.DEFAULT_PERMISSION.name] = get_permission(default_permission).name
    # After LABTRACK_ARTIFACTS_URI is set: the store reads it when it opens.
    open_store(uri)
    warn_if_default_experiment_outside(uri, artifacts_destination)
    if server_auth.enabled():
        get_permission(server_auth.DEFAULT_PERMISSION.get())  # a bad value fails here, once
        server_auth.warn_if_no_users(uri)
    if workers > 1:
        # Each worker process opens the store itself, from the variables set above.
        uvicorn.run(
            "labtrack.tracking_server.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
        )
        return
    from labtrack.tracking_server.app import build_app

    uvicorn.run(build_app(uri, artifacts_destination), host=host, port=port, log_level=log_level)
