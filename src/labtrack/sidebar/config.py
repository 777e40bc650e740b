"""Settings of the server extension, configurable like any Jupyter server option."""

from __future__ import annotations

from traitlets import Int, Unicode
from traitlets.config import Configurable


class LabtrackServer(Configurable):
    """``c.LabtrackServer.tracking_uri = "sqlite:///..."`` in ``jupyter_server_config.py``,
    or ``--LabtrackServer.tracking_uri=...`` on the command line."""

    tracking_uri = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Store the sidebar reads. Default: LABTRACK_TRACKING_URI, else the per-user default "
        "store (~/.labtrack/labtrack.db), the rule kernels follow.",
    )
    workers = Int(
        2,
        config=True,
        help="Threads that run store calls, which block, off the server's event loop.",
    )
    max_runs = Int(
        200,
        config=True,
        help="Most runs one request may list.",
    )
