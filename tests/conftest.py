"""Shared fixtures: every test gets its own SQLite store in a temp folder, never ~/.labtrack."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

import labtrack as lt
from labtrack import env
from labtrack.store import forget_stores
from labtrack.tracking import state

if TYPE_CHECKING:
    from labtrack.tracking.writer import MetricWriter

# CI runs the property tests derandomized: a failure there reproduces on every rerun.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=300)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Under pytest-xdist (.ci/run) each worker process has its own default store: the demo
# notebooks log there, and two of them at once must not see each other's runs.
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("LABTRACK_HOME"):
    os.environ["LABTRACK_HOME"] = os.path.join(
        os.environ["LABTRACK_HOME"], os.environ["PYTEST_XDIST_WORKER"]
    )


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """No test reads or writes the user's default store."""
    monkeypatch.setenv("LABTRACK_HOME", str(tmp_path / "home"))
    # Nor does it see a setting left by the shell or by an earlier test (MLflow's variables
    # are honoured too: a shell set up for MLflow must not send a test's runs to its store).
    for variable in env.ALL:
        if variable is not env.HOME:
            monkeypatch.delenv(variable.name, raising=False)
    # Nor a SIGINT handler an earlier test left (a library may ignore SIGINT, as Lightning
    # does once a fit is interrupted): a test's subprocesses would inherit it and never see
    # their Ctrl-C (seen under pytest-xdist, where the order of files changes).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    while lt.active_run():
        lt.end_run()
    state.reset()
    lt.set_tracking_uri(None)
    lt.set_registry_uri(None)
    forget_stores()
    _drop_postgres_databases()


@pytest.fixture
def tracking_uri(tmp_path) -> str:
    """A fresh store, set as the process's tracking URI.

    A SQLite file by default; with ``LABTRACK_TEST_POSTGRES`` set to a server URL
    (e.g. postgresql://postgres:pw@127.0.0.1/postgres) each test gets a new database there,
    so the same tests prove the PostgreSQL dialect.
    """
    server = os.environ.get("LABTRACK_TEST_POSTGRES")
    if server:
        uri = _new_postgres_database(server, drop_after_test=True)
    else:
        uri = f"sqlite:///{tmp_path / 'store' / 'labtrack.db'}"
    lt.set_tracking_uri(uri)
    return uri


# Databases made for this test by `tracking_uri`: dropped once its runs have ended and its
# stores are closed (isolated_home's teardown), so repeated PostgreSQL passes do not fill the
# server's disk. Databases of longer-lived fixtures (a module's server) are left alone.
_created_databases: list[tuple[str, str]] = []


def _admin_engine(server: str):
    import sqlalchemy as sa

    return sa.create_engine(
        sa.engine.make_url(server).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )


def _new_postgres_database(server: str, drop_after_test: bool = False) -> str:
    import uuid

    import sqlalchemy as sa

    name = f"labtrack_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(server)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')  # a generated name, not user input
    admin.dispose()
    if drop_after_test:
        _created_databases.append((server, name))
    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_databases() -> None:
    while _created_databases:
        server, name = _created_databases.pop()
        admin = _admin_engine(server)
        with admin.connect() as conn:
            # FORCE: a child process the test started may still hold a connection.
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def client(tracking_uri):
    return lt.Client(tracking_uri)


@pytest.fixture(scope="session")
def iris():
    """Iris as (DataFrame of features, Series of labels)."""
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True, as_frame=True)


@pytest.fixture(scope="session")
def iris_classifier(iris):
    """A fitted scikit-learn classifier: what the model and serving tests log and load."""
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    return LogisticRegression(max_iter=500).fit(X, y)


# Fixtures that put a test's store on LABTRACK_TEST_POSTGRES when it is set.
_STORE_FIXTURES = {"tracking_uri", "server", "shared_server"}


def _on_the_test_store(item) -> bool:
    """Whether a test runs on the store LABTRACK_TEST_POSTGRES names: through a store fixture,
    by its ``store`` mark, or as a tracking-server test (each talks to a server on a store)."""
    path = str(item.path).replace("\\", "/")
    return (
        bool(_STORE_FIXTURES & set(getattr(item, "fixturenames", ())))
        or item.get_closest_marker("store") is not None
        or "/tests/tracking_server/" in path
    )


class _Parked(threading.Event):
    """A writer thread's wake-up event, telling when the thread waits on it."""

    def __init__(self):
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout=None):
        self.waiting.set()
        return super().wait(timeout)


@pytest.fixture
def park_writer(monkeypatch) -> Callable[[MetricWriter], None]:
    """``park_writer(writer)``: no tick of the writer thread's own from then on (the next
    would come within its interval, at any point of a test on a loaded machine): the thread
    ends its current wait and starts one of an hour; only a flush, or a full buffer, writes
    then. What was pending is written by that last tick (if the thread was mid-tick, by the
    tick in progress, which may miss what came after it began)."""

    def park(writer: MetricWriter) -> None:
        if writer._thread is None:
            writer._start()
        current, parked = writer._wake, _Parked()
        monkeypatch.setattr(writer, "interval", 3600.0)
        monkeypatch.setattr(writer, "heartbeat_interval", 3600.0)
        monkeypatch.setattr(writer, "_wake", parked)
        current.set()
        assert parked.waiting.wait(30), "the writer thread did not come back to its wait"

    return park


def pytest_runtest_setup(item):
    """A test marked ``postgres_only`` is skipped, with the marker's reason, unless
    LABTRACK_TEST_POSTGRES names a server."""
    marker = item.get_closest_marker("postgres_only")
    if marker is not None and not os.environ.get("LABTRACK_TEST_POSTGRES"):
        pytest.skip(f"needs LABTRACK_TEST_POSTGRES: {marker.kwargs['reason']}")


def pytest_collection_modifyitems(config, items):
    """Browser tests last: they are the slowest, and a JupyterLab server outlives each test.

    With ``LABTRACK_TEST_STORE_PASS=1`` (.ci/run's PostgreSQL pass) only the tests that run
    on the test store are kept: the others ran in the first pass, and would run the same."""
    if os.environ.get("LABTRACK_TEST_STORE_PASS") == "1":
        kept = [item for item in items if _on_the_test_store(item)]
        dropped = [item for item in items if not _on_the_test_store(item)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    items.sort(key=lambda item: "/e2e/" in str(item.path).replace("\\", "/"))
