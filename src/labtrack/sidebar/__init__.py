"""The jupyter_server extension behind the JupyterLab sidebar: JSON routes under ``/labtrack/api/``.

Enabled by installing the package (``etc/jupyter/jupyter_server_config.d/labtrack.json``).
It reads the store the kernels write, resolved by the same rule (``labtrack.env``), and holds
no business rules of its own: handlers translate HTTP into calls of ``labtrack.Client``.
Importing this package is cheap; handlers load when the server loads the extension.
"""

from __future__ import annotations


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "labtrack.sidebar"}]


def _load_jupyter_server_extension(server_app) -> None:
    from labtrack.sidebar.app import load

    load(server_app)


def _unload_jupyter_server_extension(server_app) -> None:
    backend = server_app.web_app.settings.get("labtrack")
    if backend is not None:
        backend.close()
