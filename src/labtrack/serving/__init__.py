"""Serving a model over REST (Starlette + uvicorn), with MLflow's scoring protocol.

>>> lt.serve("models:/iris@champion", port=5001)                 # doctest: +SKIP
>>> with lt.serve(info.model_uri, port=0, background=True) as server:   # from a notebook
...     httpx.post(f"{server.url}/invocations", json={"dataframe_records": rows}).json()
{'predictions': [0, 2, 1]}

Or from a shell: ``labtrack serve models:/iris@champion --port 5001``.

With a deployment name the server is recorded in the store while it serves (see
``labtrack.production``): ``lt.serve("models:/iris@champion", deployment="iris-prod")``
lists it in ``lt.deployments()`` and the sidebar, follows the alias, and with
``log_predictions=True`` keeps (a sample of) its requests for ``lt.monitor``.
"""

from __future__ import annotations

import os

from labtrack import env
from labtrack.serving.server import ModelServer

DEFAULT_PORT = 5001  # MLflow's
DEFAULT_MAX_BODY_MB = int(env.SERVE_MAX_BODY_MB.default)  # type: ignore[arg-type]


def serve(
    model_uri: str | os.PathLike,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    background: bool = False,
    log_level: str = "warning",
    max_body_mb: float | None = None,
    deployment: str | None = None,
    log_predictions: bool = False,
    sample_rate: float = 1.0,
) -> ModelServer | None:
    """Serve the model at ``model_uri`` on ``host:port`` (``port=0``: any free port).

    In the foreground this blocks until interrupted. With ``background=True`` it returns a
    ``ModelServer`` (``.url``, ``.stop()``, a context manager) once the server accepts
    requests. The default host answers only this machine; ``host="0.0.0.0"`` exposes the
    model to the network, without authentication.

    A request body above ``max_body_mb`` megabytes (default: ``LABTRACK_SERVE_MAX_BODY_MB``,
    else 50) is refused with 413 before it is read whole.

    ``deployment`` (a name: a letter or digit, then letters, digits, ``_``, ``.``, ``-``)
    records the server as that deployment while it serves: a run of the experiment
    ``Deployments`` with the model's version, the URL, host and process, and its traffic
    every ``LABTRACK_DEPLOYMENT_INTERVAL`` seconds; a ``models:/<name>@<alias>`` model is
    followed, a promotion served without a restart. ``log_predictions`` keeps the requests
    (a ``sample_rate`` share of them, 0 < rate <= 1) as Parquet artifacts of that run, and
    ``POST /feedback`` takes their true labels. Both need ``deployment``.
    """
    from labtrack.models.load import load_model
    from labtrack.models.model_uri import resolve
    from labtrack.serving import server
    from labtrack.serving.app import build_app
    from labtrack.serving.app import max_body_mb as body_limit

    limit = body_limit(max_body_mb)  # a bad limit fails before the model is loaded
    _check_deployment(deployment, log_predictions, sample_rate)
    location = resolve(model_uri)
    model = load_model(location.folder)
    sock = server.bind(host, port)
    url = server.url_of(sock)
    recorded, apps = None, []

    def swap(new_model, version: str) -> None:  # the followed alias moved
        apps[0].state.served.swap(new_model, version)

    try:
        if deployment is not None:
            recorded = _record(deployment, location, url, log_predictions, sample_rate, swap)
        apps.append(build_app(model, location.uri, location.version, limit, deployment=recorded))
        app = apps[0]
        if recorded is not None:
            recorded.start()  # logging traffic and following the alias, now that app exists
        if background:
            on_stop = recorded.stop if recorded is not None else None
            handle = server.run_in_background(app, sock, log_level, on_stop=on_stop)
            handle.deployment = recorded
            return handle
    except BaseException:
        sock.close()
        if recorded is not None:
            recorded.stop("FAILED")
        raise
    try:
        on_stop = recorded.stop if recorded is not None else None
        server.run_foreground(app, sock, log_level, server.announce(url, location.uri), on_stop)
    finally:
        if recorded is not None:
            recorded.stop()
    return None


def _check_deployment(deployment: str | None, log_predictions: bool, sample_rate: float) -> None:
    """Refuse options that do not go together before anything is loaded."""
    from labtrack.errors import InvalidParameter
    from labtrack.production import validate_name

    if deployment is not None:
        validate_name(deployment)
    elif log_predictions:
        raise InvalidParameter("log_predictions needs a deployment name (deployment=NAME)")
    if not isinstance(log_predictions, bool):
        raise InvalidParameter(f"log_predictions must be True or False, got {log_predictions!r}")
    number = isinstance(sample_rate, (int, float)) and not isinstance(sample_rate, bool)
    if not number or not 0 < sample_rate <= 1:
        raise InvalidParameter(f"sample_rate must be a number in (0, 1], got {sample_rate!r}")


def _record(deployment: str, location, url: str, log_predictions: bool, sample_rate: float, swap):
    """The deployment's run, created (with its prediction log, if asked for)."""
    from labtrack.production.record import start_deployment

    recorded = start_deployment(
        deployment,
        location.uri,
        url,
        model_name=location.registered_model_name,
        model_version=location.version,
        predictions=log_predictions,
        sample_rate=sample_rate,
        on_new_version=swap,
        start=False,
    )
    if log_predictions:
        from labtrack.production.predictions import PredictionLog

        try:
            recorded.prediction_log = PredictionLog(
                recorded.client, recorded.run_id, sample_rate=sample_rate
            )
        except BaseException:
            recorded.stop("FAILED")
            raise
    return recorded


__all__ = ["DEFAULT_MAX_BODY_MB", "DEFAULT_PORT", "ModelServer", "serve"]
