"""``labtrack server``'s command line."""

from __future__ import annotations

import os

import pytest

from labtrack.cli import build_parser, main


@pytest.fixture(autouse=True)
def _environment_restored():
    """``labtrack server`` run in this process sets the variables its workers read (the store,
    the destination, auth): they are put back as they were, or the next tests (and the
    notebooks' kernels) would log to this test's store."""
    saved = os.environ.copy()
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_server_takes_mlflow_servers_options():
    args = build_parser().parse_args(
        ["server", "--backend-store-uri", "sqlite:///x.db", "--artifacts-destination", "s3://b/a"]
        + ["--port", "5001", "--workers", "3"]
    )
    assert (args.backend_store_uri, args.artifacts_destination) == ("sqlite:///x.db", "s3://b/a")
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 5001, 3)


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_workers_must_be_a_positive_integer(workers, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["server", "--workers", workers])
    assert exit_info.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_a_store_that_cannot_be_opened_is_one_clear_line(capsys):
    """No stack trace, and no password: the store named as the spool shows it."""
    uri = "postgresql://someone:s3cret-pw@127.0.0.1:1/labtrack"  # nothing listens on port 1
    assert main(["server", "--backend-store-uri", uri, "--port", "1"]) != 0
    err = capsys.readouterr().err
    assert "s3cret-pw" not in err and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "postgresql://someone:***@127.0.0.1:1/labtrack" in lines[0], err


def test_a_server_as_the_servers_store_is_one_clear_line_without_the_password(capsys):
    uri = "http://someone:s3cret-pw@127.0.0.1:5000"
    assert main(["server", "--backend-store-uri", uri, "--port", "1"]) != 0
    err = capsys.readouterr().err
    assert "s3cret-pw" not in err and "Traceback" not in err
    assert "not behind another server" in err and "http://127.0.0.1:5000" in err, err


def test_the_server_ignores_mlflows_tracking_uri_that_names_a_server(monkeypatch, tmp_path):
    """A shell set up for MLflow clients points MLFLOW_TRACKING_URI at the server itself."""
    from labtrack import env
    from labtrack.tracking_server.server import store_uri

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert store_uri(None) == env.default_tracking_uri()
    monkeypatch.setenv("LABTRACK_TRACKING_URI", f"sqlite:///{tmp_path / 'team.db'}")
    assert store_uri(None) == f"sqlite:///{tmp_path / 'team.db'}"
