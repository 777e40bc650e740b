"""``labtrack server`` tests: the server runs as a subprocess on a free loopback port; MLflow's
real client talks to it from the MLflow test environment (``tests/mlflow_env.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ..conftest_s3 import bucket, s3_client, s3_endpoint  # noqa: F401  (fixtures)
from ..mlflow_env import ensure_mlflow_python, mlflow_python  # noqa: F401  (a fixture)
from ..ports import free_port
from ..waiting import wait_until

STARTUP_TIMEOUT_SECONDS = 60.0


def pytest_collection_finish(session) -> None:
    """Build the MLflow environment before any test runs, when a selected test needs it:
    installing MLflow can take longer than one test's timeout."""
    if session.config.option.collectonly:
        return
    if any("mlflow_python" in getattr(item, "fixturenames", ()) for item in session.items):
        ensure_mlflow_python()


MLFLOW_SCRIPT_TIMEOUT_SECONDS = 300


@dataclass
class Server:
    """A running ``labtrack server``: its URL, backend store and artifact destination."""

    url: str
    store_uri: str
    destination: Path | str
    process: subprocess.Popen

    def get(self, path: str, **params) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=30)

    def post(self, path: str, body: dict) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=30)

    def api(self, method: str, endpoint: str, **kwargs) -> httpx.Response:
        """A request to ``/api/2.0/mlflow/<endpoint>``."""
        return httpx.request(method, f"{self.url}/api/2.0/mlflow/{endpoint}", timeout=30, **kwargs)


def new_store_uri(tmp_path: Path) -> str:
    """A new store: a SQLite file in ``tmp_path``, or with ``LABTRACK_TEST_POSTGRES`` a new
    database on that server (as the ``tracking_uri`` fixture makes)."""
    postgres = os.environ.get("LABTRACK_TEST_POSTGRES")
    if postgres:
        from ..conftest import _new_postgres_database

        return _new_postgres_database(postgres)
    return f"sqlite:///{tmp_path / 'server' / 'labtrack.db'}"


def start_server(tmp_path: Path, *extra: str, destination: str | None = None) -> Server:
    """``labtrack server`` on a new store (``new_store_uri``) with its artifact destination
    (a folder in ``tmp_path`` by default), returned once ``/health`` answers."""
    port = free_port()
    store_uri = new_store_uri(tmp_path)
    destination = destination or tmp_path / "server" / "artifacts"
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "labtrack.cli", "server", "--backend-store-uri", store_uri]
        + ["--artifacts-destination", str(destination), "--port", str(port), *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("LABTRACK_ARTIFACTS")}
        # No background flush: a point is in the store only if its request flushed it, as
        # the server must before it answers (readers in other processes then see it).
        | {"LABTRACK_FLUSH_INTERVAL": "3600"},
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(
                f"labtrack server exited ({process.returncode}):\n"
                + (tmp_path / "server.log").read_text()
            )
        try:
            return httpx.get(url + "/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(healthy, STARTUP_TIMEOUT_SECONDS, "labtrack server to answer /health")
    return Server(url, store_uri, destination, process)


def new_experiment(server: Server) -> str:
    """A new experiment, made through the server's API; its id."""
    response = server.api("POST", "experiments/create", json={"name": f"e-{uuid.uuid4().hex}"})
    assert response.status_code == 200, response.text
    return response.json()["experiment_id"]


def new_run(server: Server) -> dict:
    """A new run in a new experiment, made through the server's API: MLflow's ``Run`` JSON."""
    response = server.api(
        "POST", "runs/create", json={"experiment_id": new_experiment(server), "start_time": 1000}
    )
    assert response.status_code == 200, response.text
    return response.json()["run"]


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def server(tmp_path):
    """A ``labtrack server`` of its own for one test."""
    running = start_server(tmp_path)
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One ``labtrack server`` for a module's tests (each makes its own experiments)."""
    running = start_server(tmp_path_factory.mktemp("shared-server"))
    yield running
    stop_server(running)


def run_mlflow(python: str, server: Server, script: str, cwd: Path) -> dict:
    """Run ``script`` with MLflow's interpreter against ``server``; the script prints one
    JSON object as its last line, which is returned."""
    env = {
        k: v
        for k, v in os.environ.items()
        # No store, no bucket credentials: MLflow's client needs only the server.
        if not k.startswith(("LABTRACK_", "MLFLOW_", "AWS_")) and k != "PYTHONPATH"
    }
    env |= {"MLFLOW_TRACKING_URI": server.url, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    cwd.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [python, "-c", textwrap.dedent(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=MLFLOW_SCRIPT_TIMEOUT_SECONDS,
    )
    assert done.returncode == 0, f"MLflow script failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])
