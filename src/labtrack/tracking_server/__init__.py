"""``labtrack server``: a tracking server that speaks MLflow's REST API over a labtrack store.

MLflow's own client (``MLFLOW_TRACKING_URI=http://host:5000``) logs runs, registers models
and uploads artifacts through it; labtrack reads the same store directly. ``build_app`` gives
the Starlette app, ``serve`` runs it with uvicorn.
"""

from __future__ import annotations

from labtrack.tracking_server.server import serve

__all__ = ["serve"]
