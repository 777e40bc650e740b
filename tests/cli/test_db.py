"""``labtrack db check`` finds damage; ``labtrack db backup`` copies a store that is being written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from labtrack.cli import main
from labtrack.store.sql import schema

from ..damage import overwrite_table_root

SRC = str(Path(__file__).resolve().parents[2] / "src")

# Logs runs of 300 points each, printing each run's id once it is committed, until it has
# logged argv[1] runs or the file argv[2] exists.
WRITER = """
    import sys
    from pathlib import Path
    import labtrack as lt
    lt.set_experiment("busy")
    count, stop = int(sys.argv[1]), Path(sys.argv[2])
    for i in range(count):
        if stop.exists():
            break
        with lt.start_run(run_name=f"r{i}") as run:
            lt.log_params({f"p{j}": j for j in range(10)})
            for step in range(300):
                lt.log_metric("loss", 1 / (step + 1), step=step)
        print(run.info.run_id, flush=True)
"""


def _writer(db: Path, count: int, stop: Path) -> subprocess.Popen:
    env = {**os.environ, "LABTRACK_TRACKING_URI": f"sqlite:///{db}", "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(count), str(stop)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def store(tmp_path) -> Path:
    """A SQLite store with three finished runs, written by a process that has exited."""
    db = tmp_path / "store" / "labtrack.db"
    writer = _writer(db, 3, tmp_path / "never")
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    return db


def _uri(path: Path) -> list[str]:
    return ["--tracking-uri", f"sqlite:///{path}"]


# -- check -------------------------------------------------------------------------------------


def test_check_reports_integrity_and_schema_version(store, capsys):
    assert main([*_uri(store), "db", "check"]) == 0
    out = capsys.readouterr().out
    assert (
        "integrity ok" in out
        and f"schema version {schema.SCHEMA_VERSION}" in out
        and "up to date" in out
    )


def test_check_finds_damaged_pages_that_opening_does_not(store, capsys):
    overwrite_table_root(store, "params")
    assert main([*_uri(store), "db", "check"]) == 1
    out = capsys.readouterr().out
    assert "DAMAGED" in out and "up to date" not in out
    problems = [line for line in out.splitlines() if line.startswith("  ")]
    assert problems  # SQLite's own findings, one a line (e.g. "Tree 7 page 7 ...")


def test_check_on_a_file_that_is_not_a_database(tmp_path, capsys):
    path = tmp_path / "labtrack.db"
    path.write_text("name,accuracy\n" * 100)
    assert main([*_uri(path), "db", "check"]) == 1
    out = capsys.readouterr().out
    assert "DAMAGED" in out and "not a SQLite database" in out


def test_other_commands_on_a_damaged_store_fail_in_one_line_pointing_to_check(store, capsys):
    os.truncate(store, store.stat().st_size // 2)
    assert main([*_uri(store), "runs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"labtrack: error: the labtrack store {store} is damaged")
    assert "cut short" in err and "db check" in err and "Traceback" not in err


def test_check_without_a_store_creates_nothing(tmp_path, capsys):
    assert main([*_uri(tmp_path / "none" / "labtrack.db"), "db", "check"]) == 0
    assert "no store yet" in capsys.readouterr().out
    assert not (tmp_path / "none").exists()


# -- backup ------------------------------------------------------------------------------------


def test_backup_while_another_process_writes_is_a_sound_copy_of_what_was_committed(
    tmp_path, capsys
):
    db, stop = tmp_path / "store" / "labtrack.db", tmp_path / "stop"
    writer = _writer(db, 10_000, stop)
    try:
        committed = [writer.stdout.readline().strip() for _ in range(3)]
        assert all(committed), writer.stderr.read()
        assert writer.poll() is None
        assert main([*_uri(db), "db", "backup", str(tmp_path / "copy.db")]) == 0
        assert writer.stdout.readline().strip()  # it kept committing runs after the copy
    finally:
        stop.touch()
        _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert "backed up" in capsys.readouterr().out

    copy = tmp_path / "copy.db"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        runs = dict(conn.execute("SELECT run_uuid, status FROM runs"))
        points = dict(
            conn.execute(
                "SELECT r.run_uuid, count(m.step) FROM runs r"
                " LEFT JOIN metrics m ON m.run_id = r.id GROUP BY r.id"
            )
        )
    conn.close()
    assert set(committed) <= set(runs)
    # One snapshot: a run that had ended in it has every point (its end commits after them).
    assert all(points[run] == 300 for run, status in runs.items() if status == "FINISHED")
    assert not copy.with_name("copy.db-wal").exists()


def test_backup_refuses_to_overwrite_unless_forced(store, tmp_path, capsys):
    dest = tmp_path / "existing.db"
    dest.write_text("keep me")
    assert main([*_uri(store), "db", "backup", str(dest)]) == 2
    assert "already exists" in capsys.readouterr().err and dest.read_text() == "keep me"
    assert main([*_uri(store), "db", "backup", str(dest), "--force"]) == 0
    with sqlite3.connect(dest) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 3
    conn.close()


def test_backup_into_a_folder_and_of_a_read_only_store(store, tmp_path, capsys):
    folder = tmp_path / "backups"
    folder.mkdir()
    assert main(["--tracking-uri", f"sqlite:///{store}?mode=ro", "db", "backup", str(folder)]) == 0
    with sqlite3.connect(folder / "labtrack.db") as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 3
    conn.close()
    assert sorted(p.name for p in folder.iterdir()) == ["labtrack.db"]  # nothing half-written left


def test_backup_of_a_postgresql_store_points_to_pg_dump(tmp_path, capsys):
    uri = "postgresql://labtrack:secret@db.example.org/labtrack"
    assert main(["--tracking-uri", uri, "db", "backup", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "pg_dump" in err and "secret" not in err and "db.example.org" in err
    assert not (tmp_path / "x").exists()
