"""``labtrack export --to mlflow``: an mlruns folder (run ids kept) and an MLflow server (new
ids, the labtrack id in a tag, exporting again copies nothing), each read back by the real
MLflow package."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.transfer import TransferError, export_mlflow, sync

from ..rest_store.conftest import mlflow_server
from .conftest import READ, run_mlflow_script
from .helpers import fill, mlflow_view


@pytest.fixture
def source(tmp_path):
    uri = f"sqlite:///{tmp_path / 'source' / 'labtrack.db'}"
    return uri, fill(lt.Client(uri))


def by_name(view: dict, distinct_points: bool = False) -> dict:
    """A view with runs keyed by name and model versions without run ids (an MLflow server
    gives runs new ids); with ``distinct_points``, each point once (MLflow's database keeps
    an identical point once)."""
    experiments = {}
    for name, experiment in view["experiments"].items():
        runs = {}
        for run in experiment["runs"].values():
            if distinct_points:
                run = run | {
                    "metrics": {
                        k: sorted(map(list, {tuple(p) for p in points}))
                        for k, points in run["metrics"].items()
                    }
                }
            runs[run["info"][0]] = run
        experiments[name] = {"tags": experiment["tags"], "runs": runs}
    models = {
        name: model | {"versions": [[v[0], v[2], v[3]] for v in model["versions"]]}
        for name, model in view["models"].items()
    }
    return {"experiments": experiments, "models": models}


def test_an_mlruns_folder_export_reads_the_same_in_mlflow(source, tmp_path, mlflow_python, capsys):
    src, ids = source
    folder = tmp_path / "mlruns"
    assert main(["--tracking-uri", src, "export", "--to", "mlflow", str(folder), "--registry"]) == 0
    assert "2 runs copied" in capsys.readouterr().out
    seen = run_mlflow_script(mlflow_python, READ, folder.as_uri(), tmp_path / "mlflow")
    assert seen == mlflow_view(lt.Client(src))
    assert export_mlflow(src, folder, registry=True).copied_nothing


def test_an_mlflow_server_export_keeps_the_source_id_in_a_tag_and_runs_once(
    source, tmp_path, mlflow_python
):
    src, ids = source
    server = mlflow_server(mlflow_python, tmp_path).start()
    try:
        with pytest.raises(TransferError, match="cannot create runs with given ids"):
            sync(src, server.url)  # ids cannot be kept there: export --to mlflow can copy
        report = export_mlflow(src, server.url, registry=True)
        assert report.runs_copied == 2
        assert export_mlflow(src, server.url, registry=True).copied_nothing
        seen = run_mlflow_script(mlflow_python, READ, server.url, tmp_path / "mlflow")
    finally:
        server.stop()
    assert by_name(seen) == by_name(mlflow_view(lt.Client(src)), distinct_points=True)
    copied = {
        run["tags"]["mlflow.runName"]: run_id
        for run_id, run in seen["experiments"]["vision"]["runs"].items()
    }
    assert copied == {"run-0": report.run_ids[ids[0]], "run-1": report.run_ids[ids[1]]}
