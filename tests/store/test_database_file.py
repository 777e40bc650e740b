"""The SQLite file itself: complete once its processes exit, damage reported plainly, and
stores this user cannot write read without error and refuse writes clearly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import labtrack as lt
from labtrack.errors import CorruptStore, ReadOnlyStore, StoreError
from labtrack.store.sql import connection, schema
from labtrack.store.sql.store import SqlStore

from ..damage import overwrite_table_root

SRC = str(Path(__file__).resolve().parents[2] / "src")


SEED_SCRIPT = """
    import json
    import labtrack as lt
    lt.set_experiment("file")
    ids = []
    for i in range(3):
        with lt.start_run(run_name=f"r{i}") as run:
            lt.log_params({f"p{j}": "x" * 40 for j in range(20)})
            for step in range(200):
                lt.log_metric("loss", 1 / (step + 1), step=step)
        ids.append(run.info.run_id)
    print(json.dumps(ids))
"""


def _run_script(script: str, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LABTRACK_TRACKING_URI": f"sqlite:///{db}", "PYTHONPATH": SRC}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> tuple[Path, list[str]]:
    """A store written by a process that has exited (so no thread of this one touches it):
    three finished runs with params and metrics."""
    db = tmp_path_factory.mktemp("seed") / "labtrack.db"
    return db, json.loads(_run_script(SEED_SCRIPT, db).stdout)


@pytest.fixture
def store_with_runs(seed) -> Callable[[Path], list[str]]:
    def copy_to(path: Path) -> list[str]:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(seed[0], path)
        return list(seed[1])

    return copy_to


# -- the -wal file is emptied into the database when a process exits -------------------------

EXITING_SCRIPT = """
    import labtrack as lt
    lt.set_experiment("exit")
    for i in range(2):
        with lt.start_run(run_name=f"done{i}"):
            lt.log_metric("acc", i)
    # Left open with points still buffered: labtrack's exit handlers end it and persist them,
    # and may run after the store's own exit handler (it registers when the store first loads).
    lt.start_run(run_name="open")
    for step in range(500):
        lt.log_metric("loss", 1 / (step + 1), step=step)
"""


def test_a_copy_of_the_db_file_alone_holds_every_run_once_scripts_exit(tmp_path):
    db = tmp_path / "store" / "labtrack.db"
    _run_script(EXITING_SCRIPT, db)
    assert not db.with_name("labtrack.db-wal").exists()  # checkpointed and removed at exit

    copy = tmp_path / "copy" / "labtrack.db"
    copy.parent.mkdir()
    shutil.copy(db, copy)  # the .db file only, as a user copying "the store" would
    with sqlite3.connect(copy) as conn:
        names = dict(conn.execute("SELECT name, status FROM runs"))
        points = conn.execute("SELECT count(*) FROM metrics").fetchone()[0]
    assert names == {"done0": "FINISHED", "done1": "FINISHED", "open": "FINISHED"}
    assert points == 2 + 500


CLOSING_SCRIPT = """
    import threading
    import labtrack as lt
    from labtrack.store.sql import connection
    from labtrack.tracking.fluent import wait_for_source_capture
    from labtrack.tracking.state import client

    def runs():
        for i in range(3):
            with lt.start_run():
                lt.log_metric("acc", i)

    wrote, done = threading.Event(), threading.Event()
    def side_thread():  # alive past close_at_exit, keeping its write connection
        runs()
        wrote.set()
        done.wait(60)

    side = threading.Thread(target=side_thread)
    side.start()
    wrote.wait(60)
    runs()
    # In a git checkout the runs' git state is written later, on a thread of its own: a
    # write in flight at a check below would hold the -wal file.
    wait_for_source_capture()
    wal = client().database_path.with_name(client().database_path.name + "-wal")
    before = wal.exists()
    connection.close_at_exit()
    after = wal.exists()
    runs()  # a write after it still works, and closes its connection when done
    wait_for_source_capture()
    print(before, after, wal.exists())
    done.set()
"""


def test_close_at_exit_closes_the_connections_threads_keep_for_writes(tmp_path):
    """The runs' writes keep one connection per thread: ``close_at_exit`` closes them
    itself, so the -wal file is checkpointed and removed while the process still runs,
    whatever state interpreter shutdown leaves them in."""
    db = tmp_path / "store" / "labtrack.db"
    assert _run_script(CLOSING_SCRIPT, db).stdout.split() == ["True", "False", "False"]


# -- damage is labtrack's error, naming the file, wherever SQLite finds it ------------------


def _text_file(path: Path) -> None:
    path.write_text("experiment,accuracy\nsvm,0.93\n" * 200)


def _cut_in_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _header_overwritten(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.write(b"\xff" * 100)


@pytest.mark.parametrize(
    ("damage", "plain_words"),
    [
        (_text_file, "not a SQLite database"),
        (_cut_in_half, "cut short"),
        (_header_overwritten, "not a SQLite database"),
    ],
)
def test_opening_a_damaged_file_says_what_is_wrong_with_which_file(
    tmp_path, store_with_runs, damage, plain_words
):
    path = tmp_path / "labtrack.db"
    store_with_runs(path)
    damage(path)
    with pytest.raises(CorruptStore) as error:
        lt.Client(f"sqlite:///{path}")
    message = str(error.value)
    assert str(path) in message and plain_words in message
    assert f"labtrack --tracking-uri sqlite:///{path} db check" in message
    assert "sqlalche.me" not in message and "(sqlite3." not in message


def test_damage_found_at_a_later_read_is_labtracks_error(tmp_path, store_with_runs):
    path = tmp_path / "labtrack.db"
    run_id = store_with_runs(path)[0]
    overwrite_table_root(path, "params")
    client = lt.Client(f"sqlite:///{path}")  # the schema pages are intact: opening works
    with pytest.raises(CorruptStore) as error:
        client.get_run(run_id)
    assert str(path) in str(error.value) and "damaged" in str(error.value)


def test_damage_found_by_a_bulk_write_through_the_drivers_cursor_is_labtracks_error(
    tmp_path, store_with_runs
):
    path = tmp_path / "labtrack.db"
    store_with_runs(path)
    overwrite_table_root(path, "metrics")
    store = SqlStore(f"sqlite:///{path}")
    columns = [c.name for c in schema.metrics.columns]
    with pytest.raises(CorruptStore) as error:
        connection.run_write(
            store.engine,
            lambda conn: connection.insert_rows(
                conn, "metrics", columns, [(1, 1, step, 0, 0.5, False) for step in range(10)]
            ),
        )
    assert str(path) in str(error.value)
    store.close()


# -- read-only stores ------------------------------------------------------------------------


def _assert_refuses_writes(store: SqlStore, path: Path) -> None:
    with pytest.raises(ReadOnlyStore) as error:
        store.experiments.create_experiment("new")
    assert str(path) in str(error.value) and "read-only" in str(error.value)
    assert "attempt to write" not in str(error.value)


def test_mode_ro_reads_what_a_writer_has_not_checkpointed_yet_and_refuses_writes(
    tmp_path, store_with_runs
):
    # Works as any user, root included: read-only here comes from the URI, not permissions.
    path = tmp_path / "labtrack.db"
    ids = store_with_runs(path)
    writer = SqlStore(f"sqlite:///{path}")  # open: its next run stays in the -wal file
    late = writer.runs.create_run(
        writer.experiments.get_experiment_by_name("file").experiment_id, "late"
    )
    assert path.with_name("labtrack.db-wal").stat().st_size > 0

    reader = SqlStore(f"sqlite:///{path}?mode=ro")
    assert reader.read_only
    assert {r.info.run_id for r in reader.runs.get_runs([*ids, late.run_id])} == {*ids, late.run_id}
    _assert_refuses_writes(reader, path)
    # Writes that bypass the store's own check meet the same error, from the engine.
    with pytest.raises(ReadOnlyStore), reader.engine.connect() as conn:
        conn.exec_driver_sql("DELETE FROM runs")
    writer.close()
    reader.close()


def test_mode_ro_on_a_closed_store_reads_it_and_leaves_no_files_behind(tmp_path, store_with_runs):
    path = tmp_path / "labtrack.db"
    ids = store_with_runs(path)
    before = path.read_bytes()
    reader = SqlStore(f"sqlite:///{path}?mode=ro")
    assert len(reader.runs.get_runs(ids)) == 3
    _assert_refuses_writes(reader, path)
    reader.close()
    assert [p.name for p in tmp_path.iterdir()] == ["labtrack.db"]
    assert path.read_bytes() == before


def test_a_read_only_store_at_an_older_schema_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            (Path(__file__).resolve().parents[1] / "resources" / "store_v1.sql").read_text()
        )
    conn.close()
    with pytest.raises(ReadOnlyStore) as error:
        SqlStore(f"sqlite:///{path}?mode=ro")
    assert "schema version 1" in str(error.value) and "db upgrade" in str(error.value)


def test_mode_ro_without_a_store_does_not_create_one(tmp_path):
    with pytest.raises(StoreError, match="no labtrack store"):
        SqlStore(f"sqlite:///{tmp_path / 'missing.db'}?mode=ro")
    assert not (tmp_path / "missing.db").exists()


def test_unknown_sqlite_uri_options_are_refused(tmp_path):
    with pytest.raises(lt.MlflowException, match="supports only"):
        SqlStore(f"sqlite:///{tmp_path / 'x.db'}?mode=rwc")


def _as_another_user(work: Callable[[], dict]) -> dict:
    """``work()`` run by a user without root's power to write any file.

    Tests run as root here, and root writes read-only files: permissions alone prove
    nothing. As root, a forked child switches to ``nobody`` (everything it needs is imported
    already: it may not be able to read the interpreter's files); otherwise it runs here.
    """
    if os.geteuid() != 0:
        return work()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        status = 1
        signal.alarm(60)  # a child stuck on a lock another thread held at fork time dies
        try:
            os.setgid(65534)
            os.setuid(65534)
            assert not os.access("/", os.W_OK)
            result = work()
            status = 0
        except BaseException as error:
            result = {"child error": f"{type(error).__name__}: {error}"}
        os.write(write_end, json.dumps(result).encode())
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert text, f"the child reported nothing (wait status {status})"
    report = json.loads(text)
    assert "child error" not in report, report["child error"]
    return report


@pytest.fixture
def shared_dir():
    """A folder another user can reach (pytest's tmp_path is private to root here)."""
    folder = Path(tempfile.mkdtemp(prefix="labtrack-ro-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("unwritable", ["file", "folder"])
@pytest.mark.parametrize("writer_open", [False, True], ids=["closed", "writer open"])
def test_a_store_this_user_cannot_write_reads_and_refuses_writes(
    shared_dir, store_with_runs, unwritable, writer_open
):
    folder = shared_dir / "store"
    folder.mkdir()
    path = folder / "labtrack.db"
    ids = store_with_runs(path)
    writer = None
    if writer_open:  # its newest run is only in the -wal file, which the reader must read
        writer = SqlStore(f"sqlite:///{path}")
        late = writer.runs.create_run(
            writer.experiments.get_experiment_by_name("file").experiment_id, "late"
        )
        ids.append(late.run_id)
        assert path.with_name("labtrack.db-wal").stat().st_size > 0
    if unwritable == "file":
        path.chmod(0o444)
        folder.chmod(0o777)
    else:
        path.chmod(0o666)
        folder.chmod(0o755)
    before = sorted(p.name for p in folder.iterdir())

    def work() -> dict:
        store = SqlStore(f"sqlite:///{path}")
        report = {
            "read_only": store.read_only,
            "runs": sorted(r.info.run_id for r in store.runs.get_runs(ids)),
        }
        try:
            store.experiments.create_experiment("new")
        except ReadOnlyStore as error:
            report["write"] = str(error)
        store.close()
        report["files"] = sorted(p.name for p in folder.iterdir())
        try:
            SqlStore(f"sqlite:///{folder / 'new.db'}").close()
        except StoreError as error:
            report["create"] = str(error)
        return report

    try:
        report = _as_another_user(work)
    finally:
        folder.chmod(0o755)
        if writer is not None:
            writer.close()
    assert report["read_only"] is True
    assert report["runs"] == sorted(ids)
    assert str(path) in report["write"] and "read-only" in report["write"]
    assert f"{unwritable} is not writable by this user" in report["write"]
    assert report["files"] == before  # the reader created no -wal/-shm files of its own
    if unwritable == "folder":
        assert "new.db" in report["create"] and "not writable" in report["create"]
    else:
        assert "create" not in report and (folder / "new.db").exists()


# -- threads of one process writing one file ---------------------------------------------------


@pytest.mark.parametrize("second_store", [False, True], ids=["same-store", "another-store"])
def test_a_threads_write_waits_in_the_process_for_anothers_not_in_sqlites_busy_wait(
    tmp_path, second_store, monkeypatch
):
    """SQLite's busy handler polls (it sleeps 1 ms, then 2, 5, 10 ms...), so a write meeting
    another thread's short transaction lost a millisecond or more: the metric writer, the
    git-state thread and the caller's own writes met on every short run. A thread now waits
    on the file's lock in the process and begins only once the other has committed, even
    through another store object on the same file."""
    import threading

    from sqlalchemy import event

    from ..waiting import wait_until

    uri = f"sqlite:///{tmp_path / 'store.db'}"
    stores = [SqlStore(uri)]
    stores.append(SqlStore(uri) if second_store else stores[0])
    began = []  # (thread, statement) in the order SQLite starts them

    for store in stores:
        store.engine.dispose()  # new connections from here on, each traced

        @event.listens_for(store.engine, "connect")
        def trace(dbapi_connection, _record):
            dbapi_connection.set_trace_callback(
                lambda sql: began.append((threading.current_thread().name, sql))
            )

    inside, release = threading.Event(), threading.Event()
    waiting = threading.Event()  # the second thread found the file's lock taken: it waits
    held = getattr(connection, "_held", None)
    if held is not None:

        class _Held(held):
            __slots__ = ()

            def __enter__(self):
                if threading.current_thread().name == "second":
                    if self.lock.acquire(blocking=False):
                        self.lock.release()
                    else:
                        waiting.set()
                return super().__enter__()

        monkeypatch.setattr(connection, "_held", _Held)

    def first_work(conn):
        inside.set()
        assert release.wait(timeout=60)

    first = threading.Thread(
        target=connection.run_write, args=(stores[0].engine, first_work), name="first"
    )
    second = threading.Thread(
        target=connection.run_write, args=(stores[1].engine, lambda conn: None), name="second"
    )
    try:
        first.start()
        assert inside.wait(timeout=60)
        second.start()
        wait_until(
            lambda: ("second", "BEGIN IMMEDIATE") in began or waiting.is_set(),
            what="the second write to wait for the file",
        )
    finally:
        release.set()
        first.join(timeout=60)
        second.join(timeout=60)
    transactions = [entry for entry in began if entry[1] in ("BEGIN IMMEDIATE", "COMMIT")]
    assert transactions == [
        ("first", "BEGIN IMMEDIATE"),
        ("first", "COMMIT"),
        ("second", "BEGIN IMMEDIATE"),
        ("second", "COMMIT"),
    ]
    for store in set(stores):
        store.close()
