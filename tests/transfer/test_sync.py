"""``labtrack sync``: runs keep their ids, metrics every point, artifacts their bytes, the
registry its numbers; SQLite -> PostgreSQL -> labtrack server -> SQLite round trips; a second
sync copies nothing; an interrupted one is completed, never duplicated."""

from __future__ import annotations

import os

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.transfer import TransferError, sync
from labtrack.transfer.copy import FINGERPRINT_TAG

from ..conftest import _new_postgres_database
from ..tracking_server.conftest import start_server, stop_server
from .helpers import fill, snapshot

pytestmark = pytest.mark.store  # their second store is on LABTRACK_TEST_POSTGRES when set


def sqlite_uri(tmp_path, name: str) -> str:
    return f"sqlite:///{tmp_path / name / 'labtrack.db'}"


def other_store(tmp_path, name: str) -> str:
    """A second store: a new PostgreSQL database with LABTRACK_TEST_POSTGRES, else SQLite."""
    server = os.environ.get("LABTRACK_TEST_POSTGRES")
    return _new_postgres_database(server) if server else sqlite_uri(tmp_path, name)


@pytest.fixture
def source(tmp_path):
    uri = sqlite_uri(tmp_path, "source")
    ids = fill(lt.Client(uri))
    return uri, ids


def test_sync_copies_everything_with_ids_and_a_second_sync_copies_nothing(source, tmp_path):
    src, ids = source
    dst = other_store(tmp_path, "destination")
    report = sync(src, dst, registry=True)
    assert (report.runs_copied, report.runs_up_to_date) == (2, 0)
    assert snapshot(lt.Client(dst)) == snapshot(lt.Client(src))
    # Every point: the repeated step and the identical point twice.
    history = lt.Client(dst).get_metric_history(ids[0], "loss")
    assert len(history) == 32
    assert [(m.step, m.value) for m in history if m.step == 2].count((2, 0.5)) == 2

    again = sync(src, dst, registry=True)
    assert again.copied_nothing and again.runs_up_to_date == 2
    assert again.summary() == "nothing to copy: 2 runs already up to date"
    assert snapshot(lt.Client(dst)) == snapshot(lt.Client(src))


def test_a_run_that_changed_at_the_source_is_brought_up_to_date(source, tmp_path):
    src, ids = source
    dst = sqlite_uri(tmp_path, "destination")
    sync(src, dst)
    client = lt.Client(src)
    client.log_metric(ids[0], "loss", 0.01, timestamp=90_000, step=31, synchronous=True)
    client.set_tag(ids[0], "note", "changed")
    report = sync(src, dst)
    assert (report.runs_copied, report.runs_up_to_date, report.metric_points) == (1, 1, 1)
    assert snapshot(lt.Client(dst), registry=False) == snapshot(client, registry=False)


def test_an_interrupted_sync_is_completed_never_duplicated(source, tmp_path, monkeypatch):
    src, ids = source
    dst = sqlite_uri(tmp_path, "destination")
    from labtrack.transfer import copy

    original = copy.Copier._artifacts

    def interrupted(self, run, run_id, existed):
        raise KeyboardInterrupt  # the user gives up after the metrics of the first run

    monkeypatch.setattr(copy.Copier, "_artifacts", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sync(src, dst)
    copied = lt.Client(dst)
    (half,) = copied.get_runs(ids)  # the first run, metrics written, artifacts not
    assert copied.get_metric_history(half.info.run_id, "loss")
    assert FINGERPRINT_TAG not in half.data.tags  # not marked complete
    monkeypatch.setattr(copy.Copier, "_artifacts", original)

    report = sync(src, dst)
    assert report.runs_copied == 2
    assert snapshot(lt.Client(dst), registry=False) == snapshot(lt.Client(src), registry=False)
    assert len(lt.Client(dst).get_metric_history(half.info.run_id, "loss")) == 32


def test_sync_chooses_experiments_and_runs_since_a_date(tmp_path):
    src = sqlite_uri(tmp_path, "source")
    client = lt.Client(src)
    fill(client, "vision")
    other = client.create_experiment("audio")
    old = client.create_run(other, start_time=1_000).info.run_id
    client.set_terminated(old, end_time=2_000)
    new = client.create_run(other, start_time=1_800_000_000_000).info.run_id
    client.set_terminated(new, end_time=1_800_000_000_001)
    dst = sqlite_uri(tmp_path, "destination")

    sync(src, dst, experiments=["audio"], since="2026-01-01")
    copied = lt.Client(dst)
    assert copied.get_experiment_by_name("vision") is None
    assert [
        r.info.run_id
        for r in copied.search_runs([copied.get_experiment_by_name("audio").experiment_id])
    ] == [new]
    # Since then, "vision" (runs of 1970) has nothing new: not even its experiment is made.
    sync(src, dst, since="2026-01-01")
    assert copied.get_experiment_by_name("vision") is None
    with pytest.raises(lt.errors.NotFound, match="no experiment named 'nope'"):
        sync(src, dst, experiments=["nope"])
    with pytest.raises(TransferError, match="--since takes a date"):
        sync(src, dst, since="last tuesday")


def test_the_cli_syncs_says_so_and_reports_errors_in_one_line(source, tmp_path, capsys):
    src, _ = source
    dst = sqlite_uri(tmp_path, "destination")
    assert main(["sync", src, dst, "--registry"]) == 0
    assert "2 runs copied" in capsys.readouterr().out
    assert main(["sync", src, dst, "--registry"]) == 0
    assert "nothing to copy: 2 runs already up to date" in capsys.readouterr().out
    missing = tmp_path / "typo.db"
    assert main(["sync", str(missing), dst]) == 2
    assert capsys.readouterr().err == f"labtrack: error: {missing}: no such store to copy from\n"
    assert not missing.exists()  # not created empty by trying
    assert main(["sync", src, dst, "--experiment", "nope"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"labtrack: error: no experiment named 'nope' in {src}"]


def test_round_trip_sqlite_postgresql_labtrack_server_and_back(source, tmp_path):
    """SQLite -> PostgreSQL (or a second SQLite) -> labtrack server -> SQLite: the same
    store at the end, ids, every point, artifacts and registry included."""
    src, ids = source
    middle = other_store(tmp_path, "middle")
    sync(src, middle, registry=True)
    server = start_server(tmp_path)
    try:
        assert sync(middle, server.url, registry=True).runs_copied == 2
        assert sync(middle, server.url, registry=True).copied_nothing
        back = sqlite_uri(tmp_path, "back")
        sync(server.url, back, registry=True)
        assert sync(server.url, back, registry=True).copied_nothing
    finally:
        stop_server(server)
    expected = snapshot(lt.Client(src))
    assert snapshot(lt.Client(back)) == expected
    model = lt.Client(back).get_model_version_by_alias("classifier", "champion")
    assert (model.version, model.current_stage) == (3, "Staging")


def test_sync_shows_a_progress_bar_when_asked(source, tmp_path, capsys):
    src, _ = source
    sync(src, sqlite_uri(tmp_path, "destination"), progress=True)
    assert "copying runs: 100%" in capsys.readouterr().err
    sync(src, sqlite_uri(tmp_path, "destination"), progress=False)
    assert capsys.readouterr().err == ""


def test_a_server_that_goes_away_midway_is_completed_by_the_next_sync(source, tmp_path):
    """The server stops while the first run's points are sent: they wait in the spool, the
    sync stops with a clear error, and the next one (server back) leaves every point once."""
    from labtrack.transfer import copy

    from ..rest_store.conftest import labtrack_server

    src, ids = source
    folder = tmp_path / "server"
    folder.mkdir()
    server = labtrack_server(folder).start()
    original = copy.Copier._metric

    def outage(self, run, run_id, key, existed):
        server.stop()  # a real outage, before the first points are sent
        return original(self, run, run_id, key, existed)

    try:
        copy.Copier._metric = outage
        with pytest.raises(TransferError, match="stopped answering while run"):
            sync(src, server.url)
        copy.Copier._metric = original
        server.start()
        assert sync(src, server.url).runs_copied == 2
        assert snapshot(lt.Client(server.url), registry=False) == snapshot(
            lt.Client(src), registry=False
        )
    finally:
        copy.Copier._metric = original
        server.stop()
