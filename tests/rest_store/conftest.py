"""Tracking servers for the HTTP store's tests, each a subprocess on a free loopback port with
its own SQLite store in a temp folder: ``labtrack server``, and the real ``mlflow server``
from the MLflow test environment (``tests/mlflow_env.py``). ``server`` runs a test against each;
one server of each kind serves the whole session (they take seconds to start), so tests use
names of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

import labtrack as lt

from ..mlflow_env import mlflow_python  # noqa: F401  (the session fixture)
from ..ports import free_port
from ..waiting import wait_until

STARTUP_TIMEOUT_SECONDS = 90.0


@dataclass
class Server:
    """A tracking server that can be stopped and started again on the same port and store."""

    kind: str
    command: list[str]
    url: str
    folder: Path
    process: subprocess.Popen | None = field(default=None, repr=False)
    password: str = ""
    env: dict[str, str] = field(default_factory=dict)
    users: object = None

    def start(self) -> Server:
        log = open(self.folder / f"{self.kind}.log", "ab")  # noqa: SIM115 (closed with the process)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LABTRACK_", "MLFLOW_"))}
        env["LABTRACK_HOME"] = str(self.folder / "home")
        env.update(self.env)
        self.process = subprocess.Popen(
            self.command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.folder
        )
        wait_until(self._healthy, STARTUP_TIMEOUT_SECONDS, f"{self.kind} server to answer /health")
        return self

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(
                f"{self.kind} server exited ({self.process.returncode}):\n"
                + (self.folder / f"{self.kind}.log").read_text(errors="replace")[-5000:]
            )
        try:
            return requests.get(self.url + "/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def labtrack_server(folder: Path) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "labtrack.cli", "server"]
    command += ["--backend-store-uri", f"sqlite:///{folder / 'labtrack.db'}"]
    command += ["--artifacts-destination", str(folder / "artifacts"), "--port", str(port)]
    return Server("labtrack", command, f"http://127.0.0.1:{port}", folder)


def mlflow_server(python: str, folder: Path) -> Server:
    port = free_port()
    command = [python, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}"]
    command += ["--artifacts-destination", str(folder / "artifacts"), "--workers", "1"]
    # No background job runner (four more processes, for traces and evaluations).
    env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    return Server("mlflow", command, f"http://127.0.0.1:{port}", folder, env=env)


@pytest.fixture(scope="session")
def servers():
    """The session's servers by kind, started on first use."""
    started: dict[str, Server] = {}
    yield started
    for running in started.values():
        running.stop()


@pytest.fixture(params=["labtrack", "mlflow"])
def server(request, servers, tmp_path_factory):
    """A running tracking server of each kind, set as the process's tracking URI (a test
    that stops it leaves it running again)."""
    kind = request.param
    running = servers.get(kind)
    if running is None:
        folder = tmp_path_factory.mktemp(f"{kind}-server")
        if kind == "mlflow":
            running = mlflow_server(request.getfixturevalue("mlflow_python"), folder)
        else:
            running = labtrack_server(folder)
        servers[kind] = running.start()
    elif running.process.poll() is not None:
        running.start()
    lt.set_tracking_uri(running.url)
    return running


@pytest.fixture
def auth_server(tmp_path):
    """``labtrack server --auth`` with the users ``admin`` and ``reader`` (who may only read),
    whose password is ``.password``; ``.users`` manages them."""
    from labtrack.store import get_store
    from labtrack.tracking_server.auth.users import Users

    folder = tmp_path / "auth-server"
    folder.mkdir()
    running = labtrack_server(folder)
    running.command.append("--auth")
    running.password = "a good long password"
    running.users = Users.for_store(get_store(f"sqlite:///{folder / 'labtrack.db'}"))
    running.users.add("admin", running.password, admin=True)
    running.users.add("reader", running.password)
    running.start()
    yield running
    running.stop()
