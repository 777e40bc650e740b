"""Several processes on one SQLite store, and processes that die mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import labtrack as lt

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _python(code: str, uri: str, **extra_env: str) -> subprocess.Popen:
    env = {**os.environ, "LABTRACK_TRACKING_URI": uri, "PYTHONPATH": SRC, **extra_env}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


WRITER = """
    import sys
    import labtrack as lt
    worker = int(sys.argv[1]) if len(sys.argv) > 1 else int(__import__("os").environ["WORKER"])
    lt.set_experiment("parallel")
    for r in range(3):
        with lt.start_run(run_name=f"w{worker}-r{r}"):
            lt.log_params({f"p{i}": i for i in range(10)})
            lt.set_tag("worker", worker)
            for step in range(2000):
                lt.log_metrics({"loss": 1 / (step + 1), "acc": step / 2000}, step=step)
            lt.log_metric("final", worker * 10 + r)
    print("ok")
"""


@pytest.mark.slow
def test_four_processes_writing_one_store_lose_nothing(tracking_uri):
    # A small flush batch makes the processes contend for the write lock as often as possible.
    workers = [
        _python(
            WRITER,
            tracking_uri,
            WORKER=str(i),
            LABTRACK_FLUSH_ROWS="200",
            LABTRACK_FLUSH_INTERVAL="0.01",
        )
        for i in range(4)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
        assert "locked" not in err.lower()
        assert out.strip() == "ok"
    runs = lt.search_runs(experiment_names=["parallel"])
    assert len(runs) == 12
    assert set(runs["status"]) == {"FINISHED"}
    assert sorted(runs["metrics.final"]) == sorted(
        float(w * 10 + r) for w in range(4) for r in range(3)
    )
    client = lt.Client()
    for run_id in runs["run_id"]:
        history = client.get_metric_history(run_id, "loss")
        assert [m.step for m in history] == list(range(2000))
        assert len(lt.get_run(run_id).data.params) == 10


KILLED = """
    import os, sys, time
    import labtrack as lt
    run = lt.start_run(run_name="doomed")
    for step in range(500):
        lt.log_metric("loss", 1 / (step + 1), step=step)
    lt.flush()
    print(run.info.run_id, flush=True)
    while True:  # keep logging until killed
        step += 1
        lt.log_metric("loss", 1 / (step + 1), step=step)
        time.sleep(0.001)
"""


@pytest.mark.slow
def test_a_process_killed_mid_run_keeps_what_it_flushed_and_reads_killed(tracking_uri):
    process = _python(KILLED, tracking_uri)
    run_id = process.stdout.readline().strip()
    assert run_id, process.stderr.read()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    run = lt.get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.info.end_time is not None
    steps = [m.step for m in lt.Client().get_metric_history(run_id, "loss")]
    assert steps[:500] == list(range(500))  # everything flushed before the kill
    assert steps == list(range(len(steps)))  # and nothing half-written after it


CREATE_AND_VANISH = """
    import os
    import labtrack as lt
    print(lt.Client().create_run("0").info.run_id, flush=True)
    os._exit(0)  # gone without ending the run
"""

# Logs one point to RUN_ID per line it reads; answers once the point is in the store.
LOG_ON_DEMAND = """
    import os, sys
    import labtrack as lt
    run_id, client = os.environ["RUN_ID"], lt.Client()
    for step, _ in enumerate(sys.stdin):
        # The writer registers this process as a keeper of the run with its first point.
        client.log_metric(run_id, "loss", 1 / (step + 1), step=step, synchronous=True)
        print("logged", step, flush=True)
"""


@pytest.mark.slow
def test_a_run_created_by_one_process_lives_while_another_logs_to_it(tracking_uri):
    creator = _python(CREATE_AND_VANISH, tracking_uri)
    out, err = creator.communicate(timeout=60)
    assert creator.returncode == 0, err
    run_id = out.strip()
    logger = _python(LOG_ON_DEMAND, tracking_uri, RUN_ID=run_id)
    client = lt.Client()
    for step in range(5):
        logger.stdin.write("log\n")
        logger.stdin.flush()
        answer = logger.stdout.readline()
        assert answer == f"logged {step}\n", answer or logger.communicate(timeout=30)[1]
        client._last_reap = 0.0  # reaping is throttled to once a second; don't wait for it
        assert client.get_run(run_id).info.status == "RUNNING"
    logger.send_signal(signal.SIGKILL)
    logger.wait(timeout=30)
    client._last_reap = 0.0
    assert client.get_run(run_id).info.status == "KILLED"
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == list(range(5))


@pytest.mark.slow
def test_a_run_on_another_host_without_heartbeat_reads_killed(tracking_uri, monkeypatch):
    client = lt.Client()
    run = client.create_run("0")
    # Pretend another machine wrote it and went silent long ago.
    from labtrack.store.sql import schema

    with client.store.engine.begin() as conn:
        conn.execute(schema.runs.update().values(host="elsewhere", heartbeat_time=1))
    client._last_reap = 0.0  # reaping is throttled to once a second; don't wait for it
    assert client.get_run(run.info.run_id).info.status == "KILLED"


def test_a_live_process_keeps_its_run_running(tracking_uri):
    with lt.start_run() as run:
        lt.Client()._last_reap = 0.0
        assert lt.get_run(run.info.run_id).info.status == "RUNNING"


def test_heartbeats_are_sent_while_a_run_is_open(tracking_uri):
    from labtrack.store.sql import schema

    with lt.start_run() as run:
        client = lt.Client()
        client.writer.heartbeat_interval = 0.0
        client.writer._last_heartbeat = 0.0
        lt.log_metric("x", 1.0)  # wakes the writer thread

        def heartbeat():
            with client.store.engine.connect() as conn:
                return (
                    conn.execute(
                        schema.runs.select().where(schema.runs.c.run_uuid == run.info.run_id)
                    )
                    .one()
                    .heartbeat_time
                )

        first = heartbeat()
        deadline = time.monotonic() + 10
        while heartbeat() == first and time.monotonic() < deadline:
            time.sleep(0.02)  # polling a condition; the writer wakes every flush interval
        assert heartbeat() > first


def test_interpreter_exit_persists_buffered_points_and_ends_the_run(tracking_uri):
    process = _python(
        """
        import labtrack as lt
        run = lt.start_run()
        for step in range(3000):
            lt.log_metric("x", step, step=step)
        print(run.info.run_id)
    """,
        tracking_uri,
        LABTRACK_FLUSH_INTERVAL="3600",
    )  # nothing but the exit may flush
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    run = lt.get_run(out.strip())
    assert run.info.status == "FINISHED"
    assert len(lt.Client().get_metric_history(run.info.run_id, "x")) == 3000


def test_an_uncaught_exception_in_a_script_marks_its_run_failed(tracking_uri):
    process = _python(
        """
        import labtrack as lt
        run = lt.start_run()
        lt.log_metric("x", 1.0)
        print(run.info.run_id, flush=True)
        raise RuntimeError("diverged")
    """,
        tracking_uri,
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "diverged" in err
    run = lt.get_run(out.strip())
    assert run.info.status == "FAILED"
    assert run.data.tags["labtrack.error"] == "RuntimeError: diverged"
    assert run.data.metrics == {"x": 1.0}
