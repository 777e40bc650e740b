"""The ``labtrack`` command, run in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.store.sql import schema

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture
def runs(tracking_uri):
    lt.set_experiment("cli")
    for lr in (0.1, 0.01):
        with lt.start_run(run_name=f"lr={lr}"):
            lt.log_param("lr", lr)
            lt.log_metric("acc", 1 - lr)
    return tracking_uri


def test_runs_table_with_filter_order_and_columns(runs, capsys):
    assert (
        main(
            [
                "--tracking-uri",
                runs,
                "runs",
                "-e",
                "cli",
                "-f",
                "metrics.acc > 0.5",
                "-o",
                "metrics.acc ASC",
                "-c",
                "run_name,params.lr,metrics.acc",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run_name", "params.lr", "metrics.acc"]
    assert [line.split()[0] for line in lines[1:]] == ["lr=0.1", "lr=0.01"]


def test_unknown_column_is_a_clear_error(runs, capsys):
    assert main(["--tracking-uri", runs, "runs", "-c", "nope"]) == 2
    assert "unknown columns ['nope']" in capsys.readouterr().err


def test_bad_filter_is_a_one_line_error(runs, capsys):
    assert main(["--tracking-uri", runs, "runs", "-f", "metrics.acc >"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("labtrack: error:") and "Traceback" not in err


def test_experiments_and_show(runs, capsys):
    main(["--tracking-uri", runs, "experiments"])
    assert "cli" in capsys.readouterr().out
    run_id = lt.search_runs(experiment_names=["cli"])["run_id"][0]
    main(["--tracking-uri", runs, "show", run_id])
    out = capsys.readouterr().out
    assert run_id in out and "acc" in out and "lr" in out and "FINISHED" in out


def test_export_csv_and_json(runs, tmp_path, capsys):
    target = tmp_path / "runs.csv"
    main(["--tracking-uri", runs, "export", "-e", "cli", "--output", str(target)])
    frame = pd.read_csv(target)
    assert sorted(frame["params.lr"]) == [0.01, 0.1] and len(frame) == 2
    main(["--tracking-uri", runs, "export", "-e", "cli", "--format", "json"])
    records = json.loads(capsys.readouterr().out)
    assert {r["tags.mlflow.runName"] for r in records} == {"lr=0.1", "lr=0.01"}


def test_db_check_and_upgrade(tmp_path, capsys):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            (Path(__file__).resolve().parents[1] / "resources" / "store_v1.sql").read_text()
        )
    uri = f"sqlite:///{path}"
    assert main(["--tracking-uri", uri, "db", "check"]) == 1
    assert "needs `labtrack db upgrade`" in capsys.readouterr().out
    assert main(["--tracking-uri", uri, "db", "upgrade"]) == 0
    assert f"version 1 -> {schema.SCHEMA_VERSION}" in capsys.readouterr().out
    assert main(["--tracking-uri", uri, "db", "check"]) == 0


def test_demo_logs_runs_and_prints_the_table(tmp_path):
    env = {**os.environ, "PYTHONPATH": SRC, "LABTRACK_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "labtrack.cli", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "logged 3 runs" in result.stdout
    assert result.stdout.count("FINISHED") == 3
    assert (tmp_path / "labtrack.db").exists()  # the per-user default store


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("experiments", "runs", "show", "export", "db", "demo"):
        assert command in out
