"""The front ends over HTTP, against a server: a ``%%track`` cell, a live chart, and an MLproject
entry point run by ``labtrack run`` (its command logs from a child process)."""

from __future__ import annotations

import json

import pytest
from IPython.core.interactiveshell import InteractiveShell

import labtrack as lt

from ..projects.conftest import SCORE_PROJECT, SCORE_SCRIPT, write_project
from ..waiting import wait_until


@pytest.fixture
def shell(server):
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext labtrack")
    shell.run_cell("import labtrack as lt")
    yield shell
    shell.run_cell("while lt.active_run(): lt.end_run()")
    InteractiveShell.clear_instance()


def test_a_tracked_cell_is_a_run_on_the_server(shell):
    shell.run_cell("lt.set_experiment('http-magic'); C = 2.0", store_history=True)
    result = shell.run_cell(
        "%%track --name cell --params C\nlt.log_metric('acc', C / 4)\n", store_history=True
    )
    assert result.success, result.error_in_exec
    client = lt.Client()
    experiment = client.get_experiment_by_name("http-magic")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "cell" and run.info.status == "FINISHED"
    assert run.data.params == {"C": "2.0"} and run.data.metrics["acc"] == 0.5
    client.flush()
    client.writer.run_deferred()  # the cell's source files are written in the background
    cells = json.loads(
        client.artifact_repository(run.info.artifact_uri).read_bytes("source/cells.json")
    )
    assert "lt.log_metric('acc', C / 4)" in json.dumps(cells)


def test_the_chart_follows_a_run_logging_over_http(server):
    lt.set_experiment("http-live")
    run = lt.start_run(run_name="training")
    lt.log_metric("loss", 1.0, step=0)
    chart = lt.chart("loss")
    assert chart.live and chart.series[0]["total_points"] == 1
    for step in range(1, 50):
        lt.log_metric("loss", 1.0 / (step + 1), step=step)
    wait_until(
        lambda: chart.series and chart.series[0]["total_points"] == 50, what="the chart to redraw"
    )
    lt.end_run()
    wait_until(lambda: not chart.live, what="the chart to stop being live")
    assert [s["run_id"] for s in chart.series] == [run.info.run_id]
    chart.close()


def test_a_project_run_logs_through_the_server(server, tmp_path):
    folder = write_project(
        tmp_path / "scorer",
        SCORE_PROJECT,
        **{"score.py": SCORE_SCRIPT, "python_env.yaml": "python: '3.11'\n"},
    )
    run = lt.run(folder, parameters={"b": 3}, experiment_name="http-project")
    assert run.info.status == "FINISHED"
    assert run.data.params["b"] == "3" and run.data.metrics["score"] == 3.0
    client = lt.Client()
    sources = {item.path for item in client.list_artifacts(run.info.run_id, "input")}
    assert "input/score.py" in sources
    stdout = client.download_artifacts(run.info.run_id, "output/stdout.txt", str(tmp_path / "d"))
    assert open(stdout).read() == "label=x\n"


def test_the_run_table_filters_on_the_server(server):
    lt.set_experiment("http-table")
    for name, lr in (("a", 0.1), ("b", 0.01)):
        with lt.start_run(run_name=name):
            lt.log_param("lr", lr)
            lt.log_metric("loss", lr * 2)
    table = lt.runs("http-table")
    assert table.data["run_name"] == ["b", "a"] and table.data["params.lr"] == ["0.01", "0.1"]
    assert table.data["status"] == ["FINISHED"] * 2
    table.filter = "metrics.loss > 0.1"
    assert table.data["run_name"] == ["a"] and table.error == ""
