"""Creating a run with a given id (what a copy needs), in a SQL store and through labtrack
server's own route; and the command line's answers to incomplete transfer commands."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.entities import RunInfo
from labtrack.errors import AlreadyExists, InvalidParameter, NotFound


def info(**changes) -> RunInfo:
    fields = dict(
        run_id="0123456789abcdef0123456789abcdef",
        experiment_id="0",
        run_name="copied",
        status="FAILED",
        start_time=1_000,
        end_time=2_000,
        lifecycle_stage="active",
        artifact_uri="",
        user_id="ada",
    )
    return RunInfo(**(fields | changes))


def test_a_sql_store_creates_a_run_with_its_id_times_status_and_user(client):
    created = client.store.runs.import_run(info())
    assert created.artifact_uri.endswith("/0/0123456789abcdef0123456789abcdef/artifacts")
    run = client.get_run("0123456789abcdef0123456789abcdef")
    assert (run.info.run_name, run.info.status, run.info.start_time, run.info.end_time) == (
        "copied",
        "FAILED",
        1_000,
        2_000,
    )
    assert run.info.user_id == "ada"
    client.log_metric(run.info.run_id, "loss", 0.5, synchronous=True)  # a run like any other
    with pytest.raises(AlreadyExists):
        client.store.runs.import_run(info())
    with pytest.raises(NotFound, match="no experiment with id '42'"):
        client.store.runs.import_run(info(run_id="a" * 32, experiment_id="42"))
    with pytest.raises(InvalidParameter, match="a run id is 1 to 32 letters"):
        client.store.runs.import_run(info(run_id="../etc"))


def test_labtrack_server_creates_a_run_with_its_id(server):
    body = {
        "run_id": "0123456789abcdef0123456789abcdef",
        "experiment_id": "0",
        "run_name": "copied",
        "start_time": 1_000,
        "end_time": 2_000,
        "status": "KILLED",
        "user_id": "ada",
    }
    response = server.api("POST", "runs/import", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["run"]["info"]["run_id"] == body["run_id"]
    run = lt.Client(server.url).get_run(body["run_id"])
    assert (run.info.status, run.info.end_time, run.info.user_id) == ("KILLED", 2_000, "ada")
    again = server.api("POST", "runs/import", json=body)
    assert (again.status_code, again.json()["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")
    bad = server.api("POST", "runs/import", json=body | {"status": "DONE"})
    assert (bad.status_code, bad.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["import", "tensorboard"], "labtrack import tensorboard needs a source"),
        (["import", "mlflow"], "labtrack import mlflow needs a source"),
        (["import", "photos", "extra"], "unknown import 'photos'"),
        (["export", "--to", "mlflow"], "labtrack export --to mlflow needs DEST"),
        (["export", "--bundle", "x.zip"], "--bundle needs --run ID or --experiment NAME"),
    ],
)
def test_incomplete_transfer_commands_are_one_line_errors(argv, message, tracking_uri, capsys):
    assert main(["--tracking-uri", tracking_uri, *argv]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"labtrack: error: {message}")


def test_store_uris_in_messages_carry_no_password():
    from labtrack.transfer.sources import shown

    assert shown("postgresql://ada:secret@db:5432/labtrack") == "postgresql://db:5432/labtrack"
    assert shown("http://ada:secret@tracking:5000") == "http://tracking:5000"
    assert shown("sqlite:////data/labtrack.db") == "sqlite:////data/labtrack.db"


def test_the_cli_imports_tensorboard_logs_into_the_experiment_named(tmp_path, tracking_uri, capsys):
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(tmp_path / "logs" / "run-a")) as writer:
        for step in range(3):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
    argv = ["--tracking-uri", tracking_uri, "import", "tensorboard", str(tmp_path / "logs")]
    assert main([*argv, "--experiment", "tb"]) == 0
    assert "1 runs imported" in capsys.readouterr().out
    client = lt.Client(tracking_uri)
    (run,) = client.search_runs([client.get_experiment_by_name("tb").experiment_id])
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.value for m in history] == pytest.approx([1.0, 0.5, 1 / 3])  # float32 in events
    assert main([*argv, "--experiment", "a", "--experiment", "b"]) == 2
    assert "takes one --experiment" in capsys.readouterr().err
