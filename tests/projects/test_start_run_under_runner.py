"""Code executed by `labtrack run` logs into the runner's run (LABTRACK_RUN_ID)."""

from __future__ import annotations

import labtrack as lt


def test_start_run_resumes_the_runners_run(client, monkeypatch):
    runner_run = client.create_run("0", run_name="made by the runner")
    monkeypatch.setenv("LABTRACK_RUN_ID", runner_run.info.run_id)

    with lt.start_run(run_name="the notebook's own name") as run:
        assert run.info.run_id == runner_run.info.run_id
        lt.log_metric("acc", 0.9)
        with lt.start_run(nested=True) as child:  # a nested run is still a new child run
            assert child.info.run_id != runner_run.info.run_id
    lt.log_metric("loss", 0.1)  # no active run: logs to the runner's run too
    assert lt.active_run().info.run_id == runner_run.info.run_id
    lt.end_run()

    stored = client.get_run(runner_run.info.run_id)
    assert stored.info.run_name == "made by the runner"
    assert stored.data.metrics == {"acc": 0.9, "loss": 0.1}
    assert (
        client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == runner_run.info.run_id
    )


def test_without_the_variable_start_run_makes_a_new_run(client, monkeypatch):
    monkeypatch.delenv("LABTRACK_RUN_ID", raising=False)
    with lt.start_run() as first:
        pass
    with lt.start_run() as second:
        pass
    assert first.info.run_id != second.info.run_id
