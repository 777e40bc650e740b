"""Run liveness in the store: a process is (host, pid, start time), every process that logs
to a run keeps it alive, and a fresh heartbeat is trusted over a start time that moved.

The processes here are real (this one and children it starts); only the rows that say which
process owns or keeps a run are written by hand, to stage what another process or another
machine would have left behind. ``test_processes.py`` has the same stories end to end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from labtrack import process_identity
from labtrack.errors import InvalidParameter, NotFound
from labtrack.process_identity import LocalState
from labtrack.store.sql import schema

TIMEOUT_MS = 60_000
r, rp = schema.runs, schema.run_processes


def _now_ms() -> int:
    return int(time.time() * 1000)


def _stale() -> int:
    return _now_ms() - 2 * TIMEOUT_MS


def _start_child(code: str = "import sys; sys.stdin.read()") -> subprocess.Popen:
    """A plain Python process (by default one that lives until its stdin closes)."""
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)


@pytest.fixture
def live_child():
    child = _start_child()
    yield child
    child.stdin.close()
    child.wait(timeout=30)


@pytest.fixture
def exited_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = _start_child("pass")
    child.wait(timeout=30)
    return child.pid


@pytest.fixture
def store(client):
    return client.store


def _new_run(client, **row: object) -> str:
    """A RUNNING run created by this process, then (optionally) made to look as if written
    by another process: ``row`` sets columns of its ``runs`` row."""
    run_id = client.create_run("0").info.run_id
    if row:
        _update(client.store, run_id, **row)
    return run_id


def _update(store, run_id: str, **values: object) -> None:
    with store.engine.begin() as conn:
        conn.execute(r.update().where(r.c.run_uuid == run_id).values(**values))


def _row(store, run_id: str):
    with store.engine.connect() as conn:
        return conn.execute(sa.select(r).where(r.c.run_uuid == run_id)).one()


def _keepers(store, run_id: str) -> list:
    with store.engine.connect() as conn:
        return conn.execute(
            sa.select(rp.c.host, rp.c.pid, rp.c.pid_start, rp.c.heartbeat_time).where(
                rp.c.run_id == store.runs.run_pk(run_id)
            )
        ).all()


def _add_keeper(
    store, run_id: str, host: str, pid: int, pid_start: int, heartbeat_time: int
) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            rp.insert().values(
                run_id=store.runs.run_pk(run_id),
                host=host,
                pid=pid,
                pid_start=pid_start,
                heartbeat_time=heartbeat_time,
            )
        )


def _status_after_reaping(store, run_id: str) -> str:
    store.runs.reap_dead_runs(TIMEOUT_MS)
    return store.runs.get_run(run_id).info.status


def _gone_owner(exited_pid: int) -> dict:
    """Owner columns naming a process of this host that has exited."""
    return dict(host=process_identity.HOST, pid=exited_pid, pid_start=_now_ms() - 1000)


# -- process identity -----------------------------------------------------------------------


def test_a_process_is_its_host_pid_and_start_time(live_child):
    me = process_identity.current()
    assert (me.host, me.pid) == (socket.gethostname(), os.getpid())
    assert me.start_ms == process_identity.start_time_ms(os.getpid())
    start = process_identity.start_time_ms(live_child.pid)
    assert me.start_ms <= start <= _now_ms()
    assert process_identity.local_state(live_child.pid, start) is LocalState.ALIVE
    # Another process under the same pid: what a reused pid looks like.
    assert process_identity.local_state(live_child.pid, start + 1000) is LocalState.REPLACED
    # No start time recorded (a run from before schema v4): the pid alone decides.
    assert process_identity.local_state(live_child.pid, None) is LocalState.ALIVE


def test_an_exited_process_and_a_zombie_are_gone():
    import psutil

    child = _start_child("pass")
    start = process_identity.start_time_ms(child.pid)
    deadline = time.monotonic() + 30
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:  # exited, not yet waited for
        assert time.monotonic() < deadline, "the child never exited"
        time.sleep(0.01)
    assert process_identity.local_state(child.pid, start) is LocalState.GONE
    assert process_identity.local_state(child.pid, None) is LocalState.GONE
    child.wait(timeout=30)
    assert process_identity.local_state(child.pid, start) is LocalState.GONE
    assert process_identity.start_time_ms(child.pid) is None


# -- recording the owner --------------------------------------------------------------------


def test_creating_and_resuming_a_run_record_this_process_as_its_owner(client, store):
    me = process_identity.current()
    run_id = _new_run(client)
    row = _row(store, run_id)
    assert (row.host, row.pid, row.pid_start) == (me.host, me.pid, me.start_ms)

    client.set_terminated(run_id)
    _update(store, run_id, host="elsewhere", pid=1, pid_start=2)
    client.update_run(run_id, status="RUNNING")
    row = _row(store, run_id)
    assert (row.host, row.pid, row.pid_start, row.end_time) == (me.host, me.pid, me.start_ms, None)


# -- reaping --------------------------------------------------------------------------------


def test_a_run_whose_pid_was_reused_reads_killed(client, store, live_child):
    start = process_identity.start_time_ms(live_child.pid)
    # Both runs name a live process's pid and have not heartbeated for long; only one names
    # the process that really has that pid now.
    reused = _new_run(client, pid=live_child.pid, pid_start=start - 5000, heartbeat_time=_stale())
    owned = _new_run(client, pid=live_child.pid, pid_start=start, heartbeat_time=_stale())
    assert _status_after_reaping(store, reused) == "KILLED"
    assert (
        _status_after_reaping(store, owned) == "RUNNING"
    )  # a live local process needs no heartbeat


def test_a_fresh_heartbeat_is_trusted_over_a_start_time_that_moved(client, store, live_child):
    # Linux derives start times from the boot time, which moves when the clock is stepped; a
    # live process heartbeats, so a mismatch only kills a run once the heartbeats stop too.
    start = process_identity.start_time_ms(live_child.pid)
    run_id = _new_run(client, pid=live_child.pid, pid_start=start - 5000, heartbeat_time=_now_ms())
    assert _status_after_reaping(store, run_id) == "RUNNING"
    _update(store, run_id, heartbeat_time=_stale())
    assert _status_after_reaping(store, run_id) == "KILLED"


def test_a_run_recorded_without_start_time_falls_back_to_the_pid(client, store):
    child = _start_child()
    run_id = _new_run(client, pid=child.pid, pid_start=None, heartbeat_time=_stale())
    assert _status_after_reaping(store, run_id) == "RUNNING"
    child.stdin.close()
    child.wait(timeout=30)
    assert _status_after_reaping(store, run_id) == "KILLED"


def test_a_live_keeper_on_this_host_keeps_a_run_alive_after_its_owner_is_gone(
    client, store, exited_pid
):
    keeper = _start_child()
    run_id = _new_run(client, **_gone_owner(exited_pid), heartbeat_time=_stale())
    _add_keeper(
        store,
        run_id,
        process_identity.HOST,
        keeper.pid,
        process_identity.start_time_ms(keeper.pid),
        _stale(),
    )
    assert _status_after_reaping(store, run_id) == "RUNNING"
    keeper.stdin.close()
    keeper.wait(timeout=30)
    assert _status_after_reaping(store, run_id) == "KILLED"
    assert _keepers(store, run_id) == []  # a run that ended forgets who kept it


def test_a_keeper_whose_pid_was_reused_keeps_nothing_alive(client, store, live_child, exited_pid):
    run_id = _new_run(client, **_gone_owner(exited_pid), heartbeat_time=_stale())
    start = process_identity.start_time_ms(live_child.pid)
    _add_keeper(store, run_id, process_identity.HOST, live_child.pid, start - 5000, _stale())
    assert _status_after_reaping(store, run_id) == "KILLED"


def test_a_keeper_on_another_host_keeps_a_run_alive_while_it_heartbeats(client, store, exited_pid):
    run_id = _new_run(client, **_gone_owner(exited_pid))
    _add_keeper(store, run_id, "elsewhere", 4242, 1, _now_ms())
    assert _status_after_reaping(store, run_id) == "RUNNING"
    with store.engine.begin() as conn:
        conn.execute(rp.update().values(heartbeat_time=_stale()))
    assert _status_after_reaping(store, run_id) == "KILLED"


def test_an_owner_on_another_host_lives_while_the_run_heartbeats(client, store):
    run_id = _new_run(client, host="elsewhere", pid=4242, pid_start=1, heartbeat_time=_now_ms())
    assert _status_after_reaping(store, run_id) == "RUNNING"
    _update(store, run_id, heartbeat_time=_stale())
    assert _status_after_reaping(store, run_id) == "KILLED"
    assert (
        store.runs.get_run(run_id).info.end_time == _row(store, run_id).heartbeat_time
    )  # last seen


def test_reaping_spares_a_run_resumed_after_it_was_found_dead(client, store, exited_pid):
    run_id = _new_run(client, **_gone_owner(exited_pid))
    dead = store.runs._find_dead_runs(TIMEOUT_MS)
    assert [row.id for row in dead] == [store.runs.run_pk(run_id)]
    client.update_run(run_id, status="RUNNING")  # this process takes it over meanwhile
    assert store.runs._mark_killed(dead) == 0
    assert store.runs.get_run(run_id).info.status == "RUNNING"


def test_reaping_when_nothing_is_dead_writes_nothing(client, store, live_child):
    if store.database_path is None:
        pytest.skip("commits are counted with SQLite's data_version")
    import sqlite3

    _new_run(client)
    _new_run(client, pid=live_child.pid, pid_start=process_identity.start_time_ms(live_child.pid))
    _new_run(client, host="elsewhere", pid=1, pid_start=1, heartbeat_time=_now_ms())
    observer = sqlite3.connect(store.database_path)
    before = observer.execute("PRAGMA data_version").fetchone()[0]  # moves on others' commits
    assert store.runs.reap_dead_runs(TIMEOUT_MS) == 0
    assert observer.execute("PRAGMA data_version").fetchone()[0] == before
    observer.close()


# -- heartbeats -----------------------------------------------------------------------------


def test_the_owners_heartbeat_refreshes_the_run_and_registers_no_keeper(client, store):
    run_id = _new_run(client, heartbeat_time=1)
    store.runs.heartbeat([run_id])
    assert _row(store, run_id).heartbeat_time > 1
    assert _keepers(store, run_id) == []


def test_a_heartbeat_to_a_run_owned_elsewhere_registers_this_process_as_a_keeper(
    client, store, live_child
):
    run_id = _new_run(
        client,
        pid=live_child.pid,
        pid_start=process_identity.start_time_ms(live_child.pid),
        heartbeat_time=1,
    )
    me = process_identity.current()
    store.runs.heartbeat(run_pks=[store.runs.run_pk(run_id)])
    [(host, pid, pid_start, first)] = _keepers(store, run_id)
    assert (host, pid, pid_start) == (me.host, me.pid, me.start_ms)
    assert _row(store, run_id).heartbeat_time == first  # the run's heartbeat too, same time

    with store.engine.begin() as conn:
        conn.execute(rp.update().values(heartbeat_time=1))
    store.runs.heartbeat(run_uuids=[run_id])  # by uuid: the same
    [(*_, again)] = _keepers(store, run_id)  # one row per process, refreshed
    assert again > 1


def test_a_keeper_registers_in_the_transaction_that_persists_its_points(client, store, live_child):
    run_id = _new_run(
        client, pid=live_child.pid, pid_start=process_identity.start_time_ms(live_child.pid)
    )
    pk = store.runs.run_pk(run_id)
    store.metrics.insert_metrics(
        [(pk, "loss", 0.5, _now_ms(), 0)], also=store.runs.heartbeat_work(run_pks=[pk])
    )
    assert [keeper.pid for keeper in _keepers(store, run_id)] == [os.getpid()]
    assert [m.value for m in store.metrics.get_metric_history(run_id, "loss")] == [0.5]


def test_a_run_from_before_v4_is_kept_by_a_process_that_reused_its_owners_pid(client, store):
    # Its owner row has this very pid but no start time: another process, long gone.
    run_id = _new_run(client, pid_start=None)
    store.runs.heartbeat([run_id])
    assert [keeper.pid for keeper in _keepers(store, run_id)] == [os.getpid()]


def test_a_heartbeat_leaves_runs_that_are_not_running_alone(client, store, live_child):
    run_id = _new_run(client, pid=live_child.pid)
    client.set_terminated(run_id)
    _update(store, run_id, heartbeat_time=1)
    store.runs.heartbeat([run_id])
    assert _row(store, run_id).heartbeat_time == 1
    assert _keepers(store, run_id) == []


def test_ending_a_run_forgets_its_keepers(client, store, live_child):
    run_id = _new_run(client, pid=live_child.pid)
    store.runs.heartbeat([run_id])
    assert len(_keepers(store, run_id)) == 1
    client.set_terminated(run_id)
    assert _keepers(store, run_id) == []


def test_heartbeat_names_the_bad_run_key(store):
    with pytest.raises(InvalidParameter, match="run keys"):
        store.runs.heartbeat(run_pks=["7"])
    with pytest.raises(InvalidParameter, match="list of run ids"):
        store.runs.heartbeat("0123abc")  # a lone id, not a list of them
    with pytest.raises(NotFound, match="nope"):
        store.runs.heartbeat(["nope"])
    store.runs.heartbeat()  # nothing to do is fine
