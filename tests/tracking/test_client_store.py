"""What views ask the client about its store: several runs at once, a change stamp, closing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.store import stamp
from labtrack.store.sql import connection


def test_get_runs_reads_several_runs_in_the_order_asked_and_skips_unknown_ids(client):
    first, second = (client.create_run("0").info.run_id for _ in range(2))
    client.log_metric(second, "loss", 0.5)  # pending points are persisted before the read
    runs = client.get_runs([second, "0" * 32, first])
    assert [run.info.run_id for run in runs] == [second, first]
    assert runs[0].data.metrics == {"loss": 0.5}
    assert client.get_runs([]) == []
    with pytest.raises(InvalidParameter, match="list of run id strings"):
        client.get_runs(first)  # one id, not a list
    with pytest.raises(InvalidParameter, match="list of run id strings"):
        client.get_runs([first, 7])
    assert [run.info.run_id for run in client.get_runs(i for i in (first,))] == [first]


def test_the_change_stamp_moves_when_another_process_writes(tracking_uri, monkeypatch):
    client = lt.Client(tracking_uri)
    run_id = client.create_run("0").info.run_id
    if client.database_path is None:  # a server database: the stamp moves with the clock
        now = [1000.0]
        monkeypatch.setattr(stamp.time, "time", lambda: now[0])
        before = client.change_stamp()
        assert client.change_stamp() == before
        now[0] += stamp.SERVER_STORE_PERIOD
        assert client.change_stamp() != before
        return
    before = client.change_stamp()
    assert client.change_stamp() == before
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, labtrack as lt; lt.Client(sys.argv[1]).set_tag(sys.argv[2], 'k', 'v')",
            tracking_uri,
            run_id,
        ],
        check=True,
    )
    assert client.change_stamp() != before


def test_database_path_is_the_sqlite_file_or_none(tracking_uri):
    assert lt.Client(tracking_uri).database_path == connection.sqlite_path(tracking_uri)
    assert lt.Client("sqlite:///:memory:").database_path is None


def _open_connections(client) -> list[int]:
    """The connections the store keeps open: those its engine pools, and on a SQLite file
    those the threads that wrote keep on the second engine their runs' writes go through
    (no foreign-key lookup per row, no pool checkout per write: ``connection.run_write``)."""
    engine = client.store.engine
    unchecked = connection._unchecked.get(engine)
    return [engine.pool.checkedin(), *([len(unchecked.open)] if unchecked else [])]


def test_close_lets_go_of_idle_connections_and_the_client_still_works(tracking_uri):
    client = lt.Client(tracking_uri)
    experiment_id = client.create_experiment("kept")
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "loss", 0.5)
    client.set_terminated(run_id)
    open_before = _open_connections(client)  # closing lets go of the threads' ones too
    assert len(open_before) == (2 if client.database_path else 1)
    assert all(count >= 1 for count in open_before)
    client.close()
    assert _open_connections(client) == [0] * len(open_before)
    assert client.get_experiment(experiment_id).name == "kept"
    assert client.get_run(run_id).data.metrics == {"loss": 0.5}


def test_a_forked_child_leaves_the_parents_connections_to_the_parent(tracking_uri):
    client = lt.Client(tracking_uri)
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "loss", 0.5)
    client.set_terminated(run_id)  # both of the file's engines now hold a connection
    assert all(count >= 1 for count in _open_connections(client))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        signal.alarm(30)  # a child stuck on a lock another thread held at fork time dies
        os.write(write_end, json.dumps(_open_connections(client)).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        open_in_child = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert open_in_child == [0] * len(_open_connections(client))  # a child opens its own
    assert all(count >= 1 for count in _open_connections(client))  # the parent keeps its own


def test_threads_keep_a_connection_each_yet_many_threads_write_at_once(tracking_uri):
    """A thread keeps its write connection between writes; a pool of them would run dry
    (SQLAlchemy's default lends 15) and the next thread would wait 30 s and fail."""
    import threading

    client = lt.Client(tracking_uri)
    experiment_id = client.create_experiment("threads")
    threads = 40
    all_wrote = threading.Barrier(threads, timeout=60)
    errors = []

    def write() -> None:
        try:
            run_id = client.create_run(experiment_id).info.run_id
            all_wrote.wait()  # every thread alive, each holding its connection
            client.set_terminated(run_id)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    workers = [threading.Thread(target=write) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    runs = client.search_runs([experiment_id], max_results=100)
    assert len(runs) == threads and {run.info.status for run in runs} == {"FINISHED"}


def test_close_leaves_an_in_memory_store_open():
    client = lt.Client("sqlite:///:memory:")
    experiment_id = client.create_experiment("only in memory")
    client.close()
    client.close()
    assert client.get_experiment(experiment_id).name == "only in memory"
