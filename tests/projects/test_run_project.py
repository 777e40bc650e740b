"""MLproject entry points as tracked runs: params, output, provenance, failures, sweeps,
reproduction, and no shell injection. Commands are cheap: these tests run many."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.errors import ExecutionFailed, InvalidParameter
from labtrack.projects import reproduce


def _artifact_text(client, run_id: str, path: str, tmp_path) -> str:
    return open(client.download_artifacts(run_id, path, str(tmp_path / "download"))).read()


def test_entry_point_run_records_params_output_source_and_environment(
    client, score_project, tmp_path
):
    run = lt.run(score_project, parameters={"b": 3, "label": "hi there"}, experiment_name="proj")

    assert run.info.status == "FINISHED"
    assert run.data.params == {"a": "1.0", "b": "3", "label": "hi there"}
    assert run.data.metrics["score"] == 3.0  # logged by the command, into this run
    assert run.data.metrics["duration_s"] > 0
    tags = run.data.tags
    assert tags["mlflow.source.type"] == "PROJECT" and tags["mlflow.project.entryPoint"] == "main"
    assert tags["labtrack.project.python_env"] == "python_env.yaml"
    assert json.loads(tags["labtrack.project.parameters"]) == {
        "a": 1.0,
        "b": 3,
        "label": "hi there",
    }
    assert (
        _artifact_text(client, run.info.run_id, "output/stdout.txt", tmp_path) == "label=hi there\n"
    )
    sources = {item.path for item in client.list_artifacts(run.info.run_id, "input")}
    assert sources == {"input/MLproject", "input/score.py", "input/python_env.yaml"}
    requirements = _artifact_text(client, run.info.run_id, "environment/requirements.txt", tmp_path)
    assert "pandas==" in requirements
    assert lt.get_experiment_by_name("proj").experiment_id == run.info.experiment_id


def test_bad_parameters_fail_before_anything_runs(client, score_project):
    marker = score_project / "ran"
    (score_project / "score.py").write_text(f"open({str(marker)!r}, 'w')\n")
    for parameters, message in (
        ({}, "'b' (int) is required"),
        ({"b": "two"}, "'b' must be an int"),
        ({"b": 1, "c": 2}, "unknown parameter c"),
        ({"b": [1, "x"]}, "'b' must be an int, got 'x'"),
    ):
        with pytest.raises(InvalidParameter, match=re.escape(message)):
            lt.run(score_project, parameters=parameters, experiment_name="proj")
    assert not marker.exists()
    assert lt.get_experiment_by_name("proj") is None  # not even the experiment was created


def test_parameter_values_cannot_inject_shell_commands(client, project, tmp_path):
    folder = project(
        tmp_path / "echo",
        """
        entry_points:
          main:
            parameters: {value: string}
            command: "echo {value}"
    """,
    )
    run = lt.run(folder, parameters={"value": "1; touch pwned && touch $(echo pwned2)"})
    assert run.info.status == "FINISHED"
    assert not list(tmp_path.rglob("pwned*"))
    assert (
        _artifact_text(client, run.info.run_id, "output/stdout.txt", tmp_path)
        == "1; touch pwned && touch $(echo pwned2)\n"
    )


def test_a_value_cannot_close_the_quotes_around_its_placeholder(client, project, tmp_path):
    folder = project(
        tmp_path / "quoted",
        """
        entry_points:
          main:
            parameters: {msg: string}
            command: 'python -c "import sys; print(sys.argv[1:])" --msg "{msg}"'
    """,
    )
    run = lt.run(folder, parameters={"msg": 'a" --out /tmp/evil "'})
    assert (
        _artifact_text(client, run.info.run_id, "output/stdout.txt", tmp_path)
        == "['--msg', 'a\" --out /tmp/evil \"']\n"
    )


def test_symlinks_out_of_the_project_are_not_recorded_as_source(client, project, tmp_path):
    secret = tmp_path / "outside" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("PRIVATE KEY")
    folder = project(
        tmp_path / "linked",
        """
        entry_points:
          main:
            command: "python -c pass"
    """,
        **{"train.py": "print(1)\n"},
    )
    (folder / "key").symlink_to(secret)
    (folder / "data").mkdir()
    (folder / "data" / "also_key").symlink_to(secret)
    (folder / "outside_dir").symlink_to(secret.parent, target_is_directory=True)
    (folder / "train_link.py").symlink_to(folder / "train.py")  # inside the project: kept
    with pytest.warns(UserWarning, match=r"not recording key, data/also_key .*outside"):
        run = lt.run(folder)
    recorded = {item.path for item in client.list_artifacts(run.info.run_id, "input")}
    assert recorded == {"input/MLproject", "input/train.py", "input/train_link.py"}


def test_a_failing_command_is_recorded_and_raised(client, score_project, tmp_path):
    with pytest.raises(ExecutionFailed, match="b must not be negative") as caught:
        lt.run(score_project, parameters={"b": -1})
    run = client.get_run(caught.value.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["labtrack.error"] == "exited with status 1: b must not be negative"
    assert "b must not be negative" in _artifact_text(
        client, run.info.run_id, "output/stderr.txt", tmp_path
    )


def test_cli_sweep_runs_the_grid_as_children_and_picks_the_best(
    tracking_uri, score_project, capsys
):
    code = main(
        [
            "--tracking-uri",
            tracking_uri,
            "run",
            str(score_project),
            "-P",
            "a=0.5,2",
            "-P",
            "b=1,3",
            "--experiment",
            "sweep",
            "--jobs",
            "2",
            "--metric",
            "score",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out

    runs = lt.search_runs(experiment_names=["sweep"])
    parent = runs[runs["tags.mlflow.parentRunId"].isna()].iloc[0]
    children = runs[runs["tags.mlflow.parentRunId"] == parent["run_id"]]
    assert len(children) == 4 and set(children["status"]) == {"FINISHED"}
    assert sorted(zip(children["params.a"], children["params.b"], strict=True)) == [
        ("0.5", "1"),
        ("0.5", "3"),
        ("2.0", "1"),
        ("2.0", "3"),
    ]
    best = children.loc[children["metrics.score"].idxmax()]
    assert best["tags.mlflow.runName"] == "scorer a=2.0 b=3"
    assert parent["tags.labtrack.sweep.bestRunId"] == best["run_id"]
    assert parent["status"] == "FINISHED" and parent["params.label"] == "x"
    assert f"best by score (max): 'scorer a=2.0 b=3' ({best['run_id']}) score=6" in out


def test_a_failing_child_does_not_stop_the_sweep(client, score_project):
    with pytest.raises(ExecutionFailed, match="1 of 3 runs of sweep") as caught:
        lt.run(score_project, parameters={"b": [1, -1, 2]}, metric="loss")
    parent = client.get_run(caught.value.run_id)
    assert (
        parent.info.status == "FAILED"
        and "1 of 3 runs failed" in parent.data.tags["labtrack.error"]
    )
    children = lt.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{caught.value.run_id}'",
        order_by=["params.b ASC"],
    )
    assert list(children["status"]) == ["FAILED", "FINISHED", "FINISHED"]
    # loss is minimized without being told: the best is b=2
    assert parent.data.tags["labtrack.sweep.bestRunId"] == children["run_id"].iloc[2]


@pytest.mark.timeout(120)
def test_an_interrupted_parallel_sweep_stops_its_children(client, project, tmp_path, monkeypatch):
    from labtrack.projects import sweep

    started = tmp_path / "started"
    started.mkdir()
    # Each child writes its pid, then would sleep for ten minutes (the test's timeout is 2).
    folder = project(
        tmp_path / "slow",
        """
        entry_points:
          main:
            parameters: {n: int}
            command: "python slow.py {n}"
    """,
        **{
            "slow.py": f"""
        import os, sys, time
        path = os.path.join({str(started)!r}, sys.argv[1])
        with open(path + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(path + ".tmp", path)
        time.sleep(600)
    """
        },
    )
    real_results = sweep._results

    def interrupted_while_waiting(futures):
        # Ctrl+C reaches the main thread while it waits on the children: simulate it there,
        # once both jobs' processes run (the third child is still queued).
        while len(list(started.iterdir())) < 2:
            time.sleep(0.05)
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "_results", interrupted_while_waiting)
    with pytest.raises(KeyboardInterrupt):
        lt.run(folder, parameters={"n": [1, 2, 3]}, jobs=2, experiment_name="interrupted")
    monkeypatch.setattr(sweep, "_results", real_results)

    pids = [int(path.read_text()) for path in started.iterdir()]
    assert len(pids) == 2
    for pid in pids:  # terminated and reaped: no such process any more
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    runs = lt.search_runs(experiment_names=["interrupted"])
    parent = runs[runs["tags.mlflow.parentRunId"].isna()]
    children = runs[runs["tags.mlflow.parentRunId"].notna()]
    assert list(parent["status"]) == ["KILLED"]
    assert sorted(children["params.n"]) == ["1", "2"]  # the queued third never started
    assert list(children["status"]) == ["KILLED", "KILLED"]
    assert set(children["tags.labtrack.error"]) == {"interrupted"}


def test_an_interrupt_while_a_sequential_sweep_waits_ends_its_child(
    client, project, tmp_path, monkeypatch
):
    from labtrack.projects import processes, runner

    folder = project(
        tmp_path / "seq",
        """
        entry_points:
          main:
            parameters: {n: int}
            command: "python -c 'import time; time.sleep(600)'"
    """,
    )
    children = []

    def interrupted_wait(process, grace=processes.STOP_GRACE_SECONDS):
        children.append(process)
        wait = process.wait

        def wait_until_interrupted(timeout=None):
            if timeout is None:  # the wait for the child to end: Ctrl+C arrives
                raise KeyboardInterrupt
            return wait(timeout)

        process.wait = wait_until_interrupted
        return processes.wait_or_stop(process, grace)

    monkeypatch.setattr(runner, "wait_or_stop", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        lt.run(folder, parameters={"n": [1, 2]}, experiment_name="seq")
    assert len(children) == 1 and children[0].poll() is not None  # ended; the second never started
    runs = lt.search_runs(experiment_names=["seq"])
    assert sorted(runs["status"]) == ["KILLED", "KILLED"]  # the parent and its one child


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
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=score_project,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "first")
    with open(score_project / "score.py", "a") as script:
        script.write("# tuned\n")

    run = lt.run(score_project, parameters={"b": 1})

    assert len(run.data.tags["mlflow.source.git.commit"]) == 40
    assert run.data.tags["labtrack.git.dirty"] == "true"
    assert "+# tuned" in _artifact_text(client, run.info.run_id, "git/diff.patch", tmp_path)
