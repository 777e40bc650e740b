"""MLproject entry points as tracked runs: params, output, provenance, failures, sweeps,
reproduction, and no shell injection. Commands are cheap: these tests run many."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.errors import ExecutionFailed, InvalidParameter
from labtrack.projects import reproduce


def _artifact_text(client, run_id: str, path: str, tmp_path) -> str:
    return open(client.download_artifacts(run_id, path, str(tmp_path / "download"))).read()


def test_entry_point_run_records_params_output_source_and_environment(client, score_project, tmp_path):
    run = lt.run(score_project, parameters={"b": 3, "label": "hi there"}, experiment_name="proj")

    assert run.info.status == "FINISHED"
    assert run.data.params == {"a": "1.0", "b": "3", "label": "hi there"}
    assert run.data.metrics["score"] == 3.0  # logged by the command, into this run
    assert run.data.metrics["duration_s"] > 0
    tags = run.data.tags
    assert tags["mlflow.source.type"] == "PROJECT" and tags["mlflow.project.entryPoint"] == "main"
    assert tags["labtrack.project.python_env"] == "python_env.yaml"
    assert json.loads(tags["labtrack.project.parameters"]) == {"a": 1.0, "b": 3, "label": "hi there"}
    assert _artifact_text(client, run.info.run_id, "output/stdout.txt", tmp_path) == "label=hi there\n"
    sources = {item.path for item in client.list_artifacts(run.info.run_id, "input")}
    assert sources == {"input/MLproject", "input/score.py", "input/python_env.yaml"}
    requirements = _artifact_text(client, run.info.run_id, "environment/requirements.txt", tmp_path)
    assert "pandas==" in requirements
    assert lt.get_experiment_by_name("proj").experiment_id == run.info.experiment_id


def test_bad_parameters_fail_before_anything_runs(client, score_project):
    marker = score_project / "ran"
    (score_project / "score.py").write_text(f"open({str(marker)!r}, 'w')\n")
    for parameters, message in (({}, "'b' (int) is required"), ({"b": "two"}, "'b' must be an int"),
                                ({"b": 1, "c": 2}, "unknown parameter c"),
                                ({"b": [1, "x"]}, "'b' must be an int, got 'x'")):
        with pytest.raises(InvalidParameter, match=re.escape(message)):
            lt.run(score_project, parameters=parameters, experiment_name="proj")
    assert not marker.exists()
    assert lt.get_experiment_by_name("proj") is None  # not even the experiment was created


def test_parameter_values_cannot_inject_shell_commands(client, project, tmp_path):
    folder = project(tmp_path / "echo", """
        entry_points:
          main:
            parameters: {value: string}
            command: "echo {value}"
    """)
    run = lt.run(folder, parameters={"value": "1; touch pwned && touch $(echo pwned2)"})
    assert run.info.status == "FINISHED"
    assert not list(tmp_path.rglob("pwned*"))
    assert _artifact_text(client, run.info.run_id, "output/stdout.txt", tmp_path) == \
        "1; touch pwned && touch $(echo pwned2)\n"


def test_a_failing_command_is_recorded_and_raised(client, score_project, tmp_path):
    with pytest.raises(ExecutionFailed, match="b must not be negative") as caught:
        lt.run(score_project, parameters={"b": -1})
    run = client.get_run(caught.value.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["labtrack.error"] == "exited with status 1: b must not be negative"
    assert "b must not be negative" in _artifact_text(client, run.info.run_id, "output/stderr.txt", tmp_path)


def test_cli_sweep_runs_the_grid_as_children_and_picks_the_best(tracking_uri, score_project, capsys):
    code = main(["--tracking-uri", tracking_uri, "run", str(score_project), "-P", "a=0.5,2",
                 "-P", "b=1,3", "--experiment", "sweep", "--jobs", "2", "--metric", "score"])
    out = capsys.readouterr().out
    assert code == 0, out

    runs = lt.search_runs(experiment_names=["sweep"])
    parent = runs[runs["tags.mlflow.parentRunId"].isna()].iloc[0]
    children = runs[runs["tags.mlflow.parentRunId"] == parent["run_id"]]
    assert len(children) == 4 and set(children["status"]) == {"FINISHED"}
    assert sorted(zip(children["params.a"], children["params.b"], strict=True)) == [
        ("0.5", "1"), ("0.5", "3"), ("2.0", "1"), ("2.0", "3")]
    best = children.loc[children["metrics.score"].idxmax()]
    assert best["tags.mlflow.runName"] == "scorer a=2.0 b=3"
    assert parent["tags.labtrack.sweep.bestRunId"] == best["run_id"]
    assert parent["status"] == "FINISHED" and parent["params.label"] == "x"
    assert f"best by score (max): 'scorer a=2.0 b=3' ({best['run_id']}) score=6" in out


def test_a_failing_child_does_not_stop_the_sweep(client, score_project):
    with pytest.raises(ExecutionFailed, match="1 of 3 runs of sweep") as caught:
        lt.run(score_project, parameters={"b": [1, -1, 2]}, metric="loss")
    parent = client.get_run(caught.value.run_id)
    assert parent.info.status == "FAILED" and "1 of 3 runs failed" in parent.data.tags["labtrack.error"]
    children = lt.search_runs(filter_string=f"tags.mlflow.parentRunId = '{caught.value.run_id}'",
                              order_by=["params.b ASC"])
    assert list(children["status"]) == ["FAILED", "FINISHED", "FINISHED"]
    # loss is minimized without being told: the best is b=2
    assert parent.data.tags["labtrack.sweep.bestRunId"] == children["run_id"].iloc[2]


def test_reproduce_runs_the_recorded_source_with_the_same_params(client, score_project):
    original = lt.run(score_project, parameters={"a": 2, "b": 5}, experiment_name="repro")
    (score_project / "score.py").write_text("raise SystemExit('the file on disk changed')\n")

    again = reproduce(original.info.run_id)

    assert again.info.run_id != original.info.run_id and again.info.status == "FINISHED"
    assert again.data.tags["labtrack.reproduces"] == original.info.run_id
    assert again.info.experiment_id == original.info.experiment_id
    assert again.data.params == original.data.params
    assert again.data.metrics["score"] == original.data.metrics["score"] == 10.0
    assert again.data.tags["mlflow.source.name"] == str(score_project)


def test_cli_reproduce_refuses_a_run_not_started_by_labtrack_run(tracking_uri, capsys):
    with lt.start_run() as run:
        pass
    assert main(["--tracking-uri", tracking_uri, "reproduce", run.info.run_id]) == 2
    assert "recorded no source" in capsys.readouterr().err


def test_git_commit_and_uncommitted_changes_are_recorded(client, score_project, tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=score_project,
                       check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "first")
    with open(score_project / "score.py", "a") as script:
        script.write("# tuned\n")

    run = lt.run(score_project, parameters={"b": 1})

    assert len(run.data.tags["mlflow.source.git.commit"]) == 40
    assert run.data.tags["labtrack.git.dirty"] == "true"
    assert "+# tuned" in _artifact_text(client, run.info.run_id, "git/diff.patch", tmp_path)
