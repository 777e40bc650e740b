"""``labtrack import mlflow http://...``: a running MLflow server, read over its REST API,
imported with run ids, every point, artifacts and the registry."""

from __future__ import annotations

import labtrack as lt
from labtrack.transfer import import_mlflow

from ..rest_store.conftest import mlflow_server
from .conftest import READ, WRITE, run_mlflow_script
from .helpers import mlflow_view


def test_a_running_mlflow_server_imports_with_its_run_ids(mlflow_python, tmp_path, tracking_uri):
    server = mlflow_server(mlflow_python, tmp_path).start()
    try:
        first, second, gone = run_mlflow_script(mlflow_python, WRITE, server.url, tmp_path / "w")
        expected = run_mlflow_script(mlflow_python, READ, server.url, tmp_path / "r")
        report = import_mlflow(server.url, tracking_uri)
        assert report.runs_copied == 3
        assert import_mlflow(server.url, tracking_uri).copied_nothing
    finally:
        server.stop()
    client = lt.Client(tracking_uri)
    assert mlflow_view(client) == expected
    version = client.get_model_version_by_alias("reg", "champion")
    assert (version.version, version.run_id, version.current_stage) == (1, first, "Staging")
