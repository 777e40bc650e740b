"""The spool: what cannot reach the store waits on local disk and is written once, in order.

The store-away tests stop and start a real PostgreSQL server with ``pg_ctlcluster``; they
run where ``LABTRACK_TEST_PG_CLUSTER`` names a cluster they may restart (``.ci/run``'s
PostgreSQL pass sets it, with ``LABTRACK_TEST_POSTGRES``). The rest run on every store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import labtrack as lt
from labtrack.cli import main as cli
from labtrack.store.spool import Spool

SRC = str(Path(__file__).resolve().parents[2] / "src")
CLUSTER = os.environ.get("LABTRACK_TEST_PG_CLUSTER", "").split()  # e.g. "15 main"
needs_restartable_postgres = pytest.mark.skipif(
    not (CLUSTER and os.environ.get("LABTRACK_TEST_POSTGRES")),
    reason="stops and starts a PostgreSQL cluster: set LABTRACK_TEST_POSTGRES and "
           "LABTRACK_TEST_PG_CLUSTER='VERSION NAME' (.ci/run's PostgreSQL pass does)",
)


def _history(run_id: str, key: str = "x") -> list[int]:
    return [m.step for m in lt.Client().get_metric_history(run_id, key)]


def test_a_spooled_batch_is_written_once_even_if_a_replay_was_cut_short(tracking_uri):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    pk = client.store.run_pk(run_id)
    spool = Spool(tracking_uri)
    first = spool.add([(run_id, "x", float(step), 1000 + step, step) for step in range(3)])
    spool.add([(run_id, "x", float(step), 1000 + step, step) for step in range(3, 6)], end=(run_id, "FINISHED", 5000))
    # A replay that wrote the first entry to the store and died before removing it from the spool.
    client.store.insert_metrics([(pk, "x", float(s), 1000 + s, s) for s in range(3)], batch_id=first)
    report = client.writer.replay_spool()
    assert (report.replayed, report.already_written, report.points) == (1, 1, 3)
    assert _history(run_id) == list(range(6))
    run = client.get_run(run_id)
    assert (run.info.status, run.info.end_time) == ("FINISHED", 5000)
    assert client.writer.replay_spool().replayed == 0  # nothing left
    assert spool.count() == (0, 0)


def test_spooled_points_are_written_before_newer_ones_by_the_next_process(tracking_uri, tmp_path):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    Spool(tracking_uri).add([(run_id, "x", 1.0, 1000, 1)])  # as a process that exited while away
    code = f"""
        import labtrack as lt
        client = lt.Client()
        client.log_metric("{run_id}", "x", 2.0, step=2, timestamp=2000)
        client.set_terminated("{run_id}")
        print(client.writer.spool_pending)
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env={**os.environ, "LABTRACK_TRACKING_URI": tracking_uri, "PYTHONPATH": SRC},
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert [(m.step, m.timestamp) for m in lt.Client().get_metric_history(run_id, "x")] == [(1, 1000), (2, 2000)]
    assert Spool(tracking_uri).count() == (0, 0)


def test_a_long_lived_process_replays_what_another_process_spooled(tracking_uri):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    client.flush()  # this writer exists before the spool does
    Spool(tracking_uri).add([(run_id, "x", 1.0, 1000, 7)])
    deadline = time.monotonic() + 30
    while _history(run_id) != [7]:  # it looks again about once a second
        assert time.monotonic() < deadline, "the spooled point was never written"
        time.sleep(0.05)


def test_spooled_points_of_a_run_the_store_does_not_have_are_set_aside(tracking_uri):
    client = lt.Client()
    Spool(tracking_uri).add([("f" * 32, "x", 1.0, 1000, 1)])
    with pytest.raises(lt.MlflowException, match="refused 1 metric point.*does not exist in this store"):
        client.writer.replay_spool()
    assert Spool(tracking_uri).count() == (0, 0)


def test_spool_status_and_replay_commands(tracking_uri, capsys):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    Spool(tracking_uri).add([(run_id, "x", float(s), 1000 + s, s) for s in range(4)])
    assert cli(["spool", "status"]) == 0
    assert "1 entries, 4 points waiting" in capsys.readouterr().out
    assert cli(["--tracking-uri", tracking_uri, "spool", "replay"]) == 0
    assert "wrote 1 spooled entries (4 points)" in capsys.readouterr().out
    assert _history(run_id) == [0, 1, 2, 3]
    assert cli(["spool", "status"]) == 0
    assert "no spooled data" in capsys.readouterr().out


def test_the_spool_never_records_the_store_password(tmp_path):
    uri = "postgresql://user:s3cret@db.example/labtrack"
    spool = Spool(uri, home=tmp_path)
    spool.add([("a" * 32, "x", 1.0, 1, 1)])
    assert b"s3cret" not in spool.path.read_bytes()
    assert oct(spool.path.stat().st_mode & 0o777) == "0o600"


# -- a real PostgreSQL server stopped and started ---------------------------------------------

def _ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0


def _cluster(action: str) -> None:
    if action == "start" and _ready():
        return
    subprocess.run(["pg_ctlcluster", *CLUSTER, action, *(["-m", "fast"] if action == "stop" else [])],
                   check=True, timeout=120)
    if action == "start":
        deadline = time.monotonic() + 60
        while not _ready():
            assert time.monotonic() < deadline, "PostgreSQL did not come back"
            time.sleep(0.2)


# Logs the points it is told to, one command per line, and answers each.
LOGGER = """
    import sys
    import labtrack as lt
    lt.set_experiment("outage")
    run = lt.start_run(run_name="through an outage")
    print(run.info.run_id, flush=True)
    step = 0
    for line in sys.stdin:
        command, *count = line.split()
        if command == "log":
            for _ in range(int(count[0])):
                lt.log_metric("x", float(step), step=step)
                step += 1
        elif command == "flush":
            lt.flush()
        elif command == "end":
            lt.end_run()
        print("done", command, lt.Client().writer.spool_pending, flush=True)
"""


class Logger:
    """A logging process driven line by line, as a training loop would log."""

    def __init__(self, uri: str):
        env = {**os.environ, "LABTRACK_TRACKING_URI": uri, "PYTHONPATH": SRC}
        self.process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(LOGGER)], env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.run_id = self.process.stdout.readline().strip()
        assert self.run_id, self.process.communicate(timeout=60)[1]

    def __call__(self, line: str) -> str:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer.startswith("done"), answer + self.process.communicate(timeout=60)[1]
        return answer.split()[-1]  # whether spooled points wait

    def exit(self) -> str:
        self.process.stdin.close()
        assert self.process.wait(timeout=120) == 0, self.process.stderr.read()
        return self.process.stderr.read()


@needs_restartable_postgres
def test_logging_goes_on_while_postgresql_restarts_and_every_point_lands_once(tracking_uri):
    logger = Logger(tracking_uri)
    try:
        assert logger("log 300") == "False"
        assert logger("flush") == "False"
        _cluster("stop")
        assert logger("log 300") in ("True", "False")  # no error: the caller never waits on it
        assert logger("flush") == "True"  # the server is down: the points wait in the spool
        _cluster("start")
        assert logger("log 300") in ("True", "False")
        assert logger("flush") == "False"  # the server is back: the spool is written first
        assert logger("end") == "False"
    finally:
        _cluster("start")
    stderr = logger.exit()
    assert "cannot be reached" in stderr and "answers again" in stderr
    assert "labtrack-ci" not in stderr  # the password is never printed
    assert _history(logger.run_id) == list(range(900))
    assert lt.get_run(logger.run_id).info.status == "FINISHED"


@needs_restartable_postgres
def test_what_a_process_logged_before_exiting_while_postgresql_was_down_is_replayed(tracking_uri, capsys):
    logger = Logger(tracking_uri)
    try:
        logger("log 200")
        logger("flush")
        _cluster("stop")
        logger("log 200")
        logger("end")  # the run's end waits in the spool too
        stderr = logger.exit()
        assert "is written by the next process that opens the store" in stderr
        assert Spool(tracking_uri).count()[1] == 200
    finally:
        _cluster("start")
    assert cli(["--tracking-uri", tracking_uri, "spool", "replay"]) == 0
    assert "(200 points)" in capsys.readouterr().out
    assert _history(logger.run_id) == list(range(400))
    assert lt.get_run(logger.run_id).info.status == "FINISHED"
