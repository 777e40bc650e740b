"""Serving a model over REST (Starlette + uvicorn), with MLflow's scoring protocol.

>>> lt.serve("models:/iris@champion", port=5001)                 # doctest: +SKIP
>>> with lt.serve(info.model_uri, port=0, background=True) as server:   # from a notebook
...     httpx.post(f"{server.url}/invocations", json={"dataframe_records": rows}).json()
{'predictions': [0, 2, 1]}

Or from a shell: ``labtrack serve models:/iris@champion --port 5001``.
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
) -> ModelServer | None:
    """Serve the model at ``model_uri`` on ``host:port`` (``port=0``: any free port).

    In the foreground this blocks until interrupted. With ``background=True`` it returns a
    ``ModelServer`` (``.url``, ``.stop()``, a context manager) once the server accepts
    requests. The default host answers only this machine; ``host="0.0.0.0"`` exposes the
    model to the network, without authentication.

    A request body above ``max_body_mb`` megabytes (default: ``LABTRACK_SERVE_MAX_BODY_MB``,
    else 50) is refused with 413 before it is read whole.
    """
    from labtrack.models.load import load_model
    from labtrack.models.model_uri import resolve
    from labtrack.serving import server
    from labtrack.serving.app import build_app
    from labtrack.serving.app import max_body_mb as body_limit

    limit = body_limit(max_body_mb)  # a bad limit fails before the model is loaded
    location = resolve(model_uri)
    model = load_model(location.folder)
    app = build_app(model, location.uri, location.version, max_body_mb=limit)
    sock = server.bind(host, port)
    if background:
        return server.run_in_background(app, sock, log_level)
    server.run_foreground(app, sock, log_level, server.announce(server.url_of(sock), location.uri))
    return None


__all__ = ["DEFAULT_MAX_BODY_MB", "DEFAULT_PORT", "ModelServer", "serve"]
