"""``labtrack pipeline run`` and ``labtrack pipeline resume``."""

from __future__ import annotations

import labtrack as lt
from labtrack.cli import main

PIPELINE = """
    parameters:
      fail: {type: int, default: 0}
    steps:
      prepare: {entry_point: step, parameters: {name: prepare}}
      train: {entry_point: step, needs: [prepare], parameters: {name: train, fail: "${params.fail}"}}
"""


def test_run_then_resume_from_the_command_line(write_pipeline, ran, tracking_uri, tmp_path, capsys):
    path = write_pipeline(PIPELINE)

    assert main(["--tracking-uri", tracking_uri, "pipeline", "run", str(path), "-P", "fail=1"]) == 1
    out, err = capsys.readouterr()
    assert "FINISHED  prepare" in out and "FAILED    train" in out
    parent = out.split("pipeline run ")[1].split(":")[0]
    assert f"labtrack pipeline resume {parent}" in err
    assert lt.get_run(parent).data.params["fail"] == "1"

    step = tmp_path / "project" / "step.py"
    step.write_text(step.read_text().replace("if int(fail):", "if int(fail) > 1:"))
    assert main(["--tracking-uri", tracking_uri, "pipeline", "resume", parent]) == 0
    out, _ = capsys.readouterr()
    assert "FINISHED  prepare  reused" in out and "FINISHED  train" in out
    assert ran() == ["prepare", "train", "train"]


def test_bad_input_is_an_error_before_anything_runs(write_pipeline, ran, tracking_uri, capsys):
    path = write_pipeline(PIPELINE + "      serve: {entry_point: step, needs: [deploy]}\n")
    assert main(["--tracking-uri", tracking_uri, "pipeline", "run", str(path)]) == 2
    assert "pipeline.yaml:6: unknown step 'deploy'" in capsys.readouterr().err
    path = write_pipeline(PIPELINE)
    assert main(["pipeline", "run", str(path), "-P", "epochs=3"]) == 2
    assert "unknown parameter epochs" in capsys.readouterr().err
    assert main(["pipeline", "run", str(path), "-P", "fail=1,2"]) == 2
    assert ran() == []


def test_ctrl_c_stops_the_running_steps_and_ends_the_pipeline_killed(
    write_pipeline, tracking_uri, tmp_path
):
    import signal
    import subprocess
    import sys

    from labtrack.tracking.client import TrackingClient

    from ..waiting import wait_until

    path = write_pipeline("""
        steps:
          stuck: {entry_point: step, parameters: {name: stuck, wait_for: never}}
          after: {entry_point: step, needs: [stuck], parameters: {name: after}}
    """)
    command = [sys.executable, "-m", "labtrack.cli", "--tracking-uri", tracking_uri]
    process = subprocess.Popen([*command, "pipeline", "run", str(path)])
    client = TrackingClient(tracking_uri)

    def running_step():
        runs = client.search_runs(["0"], "tags.`labtrack.pipeline.step` = 'stuck'")
        started = (tmp_path / "trace" / "started-stuck").exists()
        return runs and started and runs[0].info.status == "RUNNING" and runs[0]

    try:
        wait_until(running_step, timeout=150, what="the stuck step to run")  # a loaded machine
        stuck = running_step()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) != 0
    finally:
        process.kill()
    assert client.get_run(stuck.info.run_id).info.status == "KILLED"
    parent = client.get_run(stuck.data.tags["mlflow.parentRunId"])
    assert parent.info.status == "KILLED"
    assert not client.search_runs(["0"], "tags.`labtrack.pipeline.step` = 'after'")
