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
from pathlib import Path

import pytest

import labtrack as lt
from labtrack.cli import main as cli
from labtrack.store.spool import Spool

from ..waiting import wait_until

SRC = str(Path(__file__).resolve().parents[2] / "src")
CLUSTER = os.environ.get("LABTRACK_TEST_PG_CLUSTER", "").split()  # e.g. "15 main"
_skipped_without_a_cluster = pytest.mark.skipif(
    not (CLUSTER and os.environ.get("LABTRACK_TEST_POSTGRES")),
    reason="stops and starts a PostgreSQL cluster: set LABTRACK_TEST_POSTGRES and "
    "LABTRACK_TEST_PG_CLUSTER='VERSION NAME' (.ci/run's PostgreSQL pass does)",
)


def needs_restartable_postgres(test):
    """Skipped without a cluster to restart; marked ``restarts_postgres`` (run alone)."""
    return pytest.mark.restarts_postgres(_skipped_without_a_cluster(test))


def _history(run_id: str, key: str = "x") -> list[int]:
    return [m.step for m in lt.Client().get_metric_history(run_id, key)]


def test_a_spooled_batch_is_written_once_even_if_a_replay_was_cut_short(tracking_uri, park_writer):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    park_writer(client.writer)  # its thread would replay the spool itself, about once a second
    pk = client.store.runs.run_pk(run_id)
    spool = Spool(tracking_uri)
    first = spool.add([(run_id, "x", float(step), 1000 + step, step) for step in range(3)])
    spool.add(
        [(run_id, "x", float(step), 1000 + step, step) for step in range(3, 6)],
        ends=[(run_id, "FINISHED", 5000)],
    )
    # A replay that wrote the first entry to the store and died before removing it from the spool.
    client.store.metrics.insert_metrics(
        [(pk, "x", float(s), 1000 + s, s) for s in range(3)], batch_id=first
    )
    report = client.writer.replay_spool()
    assert (report.replayed, report.already_written, report.points) == (1, 1, 3)
    assert _history(run_id) == list(range(6))
    run = client.get_run(run_id)
    assert (run.info.status, run.info.end_time) == ("FINISHED", 5000)
    assert client.writer.replay_spool().replayed == 0  # nothing left
    assert spool.count() == (0, 0)


def test_spooled_points_are_written_before_newer_ones_by_the_next_process(
    tracking_uri, tmp_path, park_writer
):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    park_writer(client.writer)  # the next process replays it, not this one's writer thread
    Spool(tracking_uri).add([(run_id, "x", 1.0, 1000, 1)])  # as a process that exited while away
    code = f"""
        import labtrack as lt
        client = lt.Client()
        client.log_metric("{run_id}", "x", 2.0, step=2, timestamp=2000)
        client.set_terminated("{run_id}")
        print(client.writer.spool_pending)
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, "LABTRACK_TRACKING_URI": tracking_uri, "PYTHONPATH": SRC},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert [(m.step, m.timestamp) for m in lt.Client().get_metric_history(run_id, "x")] == [
        (1, 1000),
        (2, 2000),
    ]
    assert Spool(tracking_uri).count() == (0, 0)


def test_a_long_lived_process_replays_what_another_process_spooled(tracking_uri):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    client.flush()  # this writer exists before the spool does
    Spool(tracking_uri).add([(run_id, "x", 1.0, 1000, 7)])
    # It looks again about once a second.
    wait_until(lambda: _history(run_id) == [7], 30, "the spooled point to be written")


def test_spooled_points_of_a_run_the_store_does_not_have_are_set_aside(tracking_uri):
    client = lt.Client()
    Spool(tracking_uri).add([("f" * 32, "x", 1.0, 1000, 1)])
    with pytest.raises(
        lt.MlflowException, match="refused 1 metric point.*does not exist in this store"
    ):
        client.writer.replay_spool()
    assert Spool(tracking_uri).count() == (0, 0)


def test_spool_status_and_replay_commands(tracking_uri, capsys, park_writer):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    park_writer(client.writer)  # the command replays the spool, not this writer's thread
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
    subprocess.run(
        ["pg_ctlcluster", *CLUSTER, action, *(["-m", "fast"] if action == "stop" else [])],
        check=True,
        timeout=120,
    )
    if action == "start":
        wait_until(_ready, 60, "PostgreSQL to come back", interval=0.2)


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
        elif command == "params":  # queued for the writer, as short runs' params are
            lt.log_params({"lr": "0.1", "layers": "3"})
            lt.set_tag("stage", "outage")
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
        self.process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(LOGGER)],
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
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
    assert "cannot take writes now" in stderr and "answers again" in stderr
    assert "labtrack-ci" not in stderr  # the password is never printed
    assert _history(logger.run_id) == list(range(900))
    assert lt.get_run(logger.run_id).info.status == "FINISHED"


@needs_restartable_postgres
def test_what_a_process_logged_before_exiting_while_postgresql_was_down_is_replayed(
    tracking_uri, capsys
):
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


def test_a_damaged_spool_file_does_not_stop_logging(tracking_uri, recwarn):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    spool = Spool(tracking_uri)
    spool.path.parent.mkdir(parents=True, exist_ok=True)
    spool.path.write_bytes(b"this is not a spool, nor any database" * 100)
    writer = lt.Client().writer  # as a process that starts with such a file in place
    writer._spool_pending = True
    client.log_metric(run_id, "x", 1.0, step=1)
    client.flush()
    assert _history(run_id) == [1]
    assert any(f"the spool {spool.path} cannot be used" in str(w.message) for w in recwarn)
    client.log_metric(run_id, "x", 2.0, step=2)
    client.flush()  # warned once; logging goes on straight to the store
    assert _history(run_id) == [1, 2]


# -- a PostgreSQL server behind a proxy this test controls ------------------------------------

needs_postgres = pytest.mark.postgres_only(reason="a proxy in front of the PostgreSQL server")


class Proxy:
    """A TCP proxy on loopback in front of PostgreSQL. ``cut_after_commit`` lets the next
    COMMIT reach the server and drops its answer with the connection; ``refuse`` turns
    every connection away, as a server that is down would."""

    def __init__(self, target: tuple[str, int]):
        import socket
        import threading

        self.target, self.refuse = target, False
        self.cut_after_commit = threading.Event()
        self.cuts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refuse:
                client.close()
                continue
            server = socket.create_connection(self.target)
            state = {"cut": False}
            threading.Thread(
                target=self._pipe, args=(client, server, True, state), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe, args=(server, client, False, state), daemon=True
            ).start()

    def _pipe(self, source, destination, to_server: bool, state: dict) -> None:
        import contextlib
        import socket

        try:
            while data := source.recv(65536):
                if to_server and b"COMMIT" in data and self.cut_after_commit.is_set():
                    self.cut_after_commit.clear()
                    state["cut"] = True
                elif not to_server and state["cut"]:  # the server's answer to that COMMIT
                    self.cuts += 1
                    break
                destination.sendall(data)
        except OSError:
            pass
        for sock in (source, destination):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # close() alone leaves a recv() elsewhere waiting
            sock.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxied_uri(tracking_uri):
    import sqlalchemy as sa

    url = sa.engine.make_url(tracking_uri)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.close()


@needs_postgres
def test_a_batch_whose_commit_answer_was_lost_is_not_written_twice(
    proxied_uri, recwarn, monkeypatch
):
    proxy, uri = proxied_uri
    # The proxy cuts the next COMMIT, whoever sends it: it must be the flush below, so the
    # writer thread may neither flush on its own (a flush() after the cut would retry and
    # replay at once) nor send a heartbeat.
    monkeypatch.setenv("LABTRACK_FLUSH_INTERVAL", "3600")
    monkeypatch.setenv("LABTRACK_HEARTBEAT_INTERVAL", "3600")
    client = lt.Client(uri)
    run_id = client.create_run("0").info.run_id
    for step in range(100):
        client.log_metric(run_id, "x", float(step), step=step)
    client.flush()
    proxy.cut_after_commit.set()
    for step in range(100, 200):
        client.log_metric(run_id, "x", float(step), step=step)
    client.flush()  # committed, but the answer never came: spooled, as if the store were away
    assert proxy.cuts == 1 and client.writer.spool_pending
    client.writer._next_try = 0.0  # retry now rather than in a second
    client.flush()  # the replay finds the batch's id in the store and writes nothing
    assert not client.writer.spool_pending
    assert _history(run_id) == list(range(200))


@needs_postgres
def test_a_run_end_the_spool_cannot_take_is_kept_until_the_store_answers(
    proxied_uri, tmp_path, monkeypatch
):
    proxy, uri = proxied_uri
    client = lt.Client(uri)
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "x", 1.0, step=1)
    client.flush()
    client.writer.spool.path.parent.parent.mkdir(parents=True, exist_ok=True)
    client.writer.spool.path.parent.write_text("a file where the spool folder would be")  # no spool
    proxy.refuse = True
    client.store.engine.dispose()  # the pooled connection goes; new ones are refused
    client.log_metric(run_id, "x", 2.0, step=2)
    with pytest.raises(
        lt.MlflowException, match="1 metric points and the run's end.*kept in memory"
    ):
        client.set_terminated(run_id)
    proxy.refuse = False
    client.writer._next_try = 0.0
    client.flush()
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert _history(run_id) == [1, 2]


@needs_restartable_postgres
@pytest.mark.parametrize("noticed", [False, True], ids=["unnoticed", "noticed"])
def test_params_and_tags_logged_while_the_store_is_away_are_spooled_and_replayed(
    tracking_uri, capsys, noticed
):
    """The writer holds a run's params and tags for its next write: whether the store went
    away before the writer noticed or after, they go to the spool with the points and the
    run's end, and the call never fails (and nothing is lost at exit)."""
    logger = Logger(tracking_uri)
    try:
        logger("log 10")
        logger("flush")
        _cluster("stop")
        if noticed:
            logger("log 10")
            assert logger("flush") == "True"  # the writer has seen the store go: it spools
        logger("params")
        logger("end")
        stderr = logger.exit()
        assert "is written by the next process that opens the store" in stderr
    finally:
        _cluster("start")
    assert cli(["--tracking-uri", tracking_uri, "spool", "replay"]) == 0
    run = lt.get_run(logger.run_id)
    assert run.data.params == {"lr": "0.1", "layers": "3"}
    assert run.data.tags["stage"] == "outage"
    assert run.info.status == "FINISHED"
