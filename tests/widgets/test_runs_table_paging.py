"""lt.runs() paged from the kernel: only the window of rows asked for travels; sorting,
filtering, grouping and selections over every run happen in the kernel."""

from __future__ import annotations

import json

import pytest

import labtrack as lt
from labtrack.entities import Metric, Param
from labtrack.errors import InvalidParameter
from labtrack.widgets import notes
from labtrack.widgets._source import RunSource
from labtrack.widgets.runs_table import MAX_PAGE, RunsTable


@pytest.fixture
def many(tracking_uri):
    """300 runs: run-0 .. run-299 (newest last), param k = i % 3, metric m = i % 10 except
    every 7th run that has none."""
    lt.set_experiment("many")
    client = lt.Client()
    experiment = client.get_experiment_by_name("many").experiment_id
    ids = []
    for i in range(300):
        run = client.create_run(experiment, run_name=f"run-{i}", start_time=1_700_000_000_000 + i)
        metrics = [] if i % 7 == 0 else [Metric("m", float(i % 10), 0, 0)]
        client.log_batch(run.info.run_id, metrics=metrics, params=[Param("k", f"k{i % 3}")])
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    client.flush()
    return ids


def _names(table, start=0, end=None):
    page = table.rows(start, table.row_count if end is None else end)
    return page["data"]["run_name"]


def test_only_the_window_travels_and_moving_it_sends_those_rows(many):
    table = lt.runs("many", columns=["run_name", "metrics.m"])
    assert table.run_count == table.row_count == 300
    assert table.page["start"] == 0 and len(table.page["run_id"]) == table.window["end"] < 300
    assert table.page["data"]["run_name"][:2] == ["run-299", "run-298"]  # newest first
    assert set(table.page["data"]) == {"run_name", "metrics.m"}  # visible columns only
    assert "data" not in table.keys  # the full columns stay in the kernel
    table.window = {"start": 290, "end": 400}
    assert table.page["start"] == 290 and table.page["data"]["run_name"][-1] == "run-0"
    assert len(table.page["run_id"]) == 10
    table.visible_columns = ["run_name", "params.k"]
    assert set(table.page["data"]) == {"run_name", "params.k"}
    table.window = {"start": 0, "end": 10 * MAX_PAGE}
    assert len(table.page["run_id"]) == 300  # capped at MAX_PAGE rows, here all of them


def test_synced_state_stays_small_whatever_the_number_of_runs(many):
    table = lt.runs("many")
    synced = {name: getattr(table, name) for name in table.keys if not name.startswith("_")}
    size = len(json.dumps({k: v for k, v in synced.items() if k not in ("layout", "comm")}))
    assert size < 20_000  # 300 runs of every column would be far more


def test_sorting_happens_in_the_kernel_numbers_and_natural_text_missing_last(many):
    table = lt.runs("many", columns=["run_name", "metrics.m"])
    table.sort = [{"column": "metrics.m", "descending": True}]
    page = table.rows(0, 300)
    values = page["data"]["metrics.m"]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True) and len(present) == 300 - 43
    assert values[len(present) :] == [None] * 43  # missing last, descending too
    assert table.page["data"]["metrics.m"][0] == 9.0  # the page follows the sort
    table.sort = [{"column": "run_name", "descending": False}]
    assert _names(table, 0, 12) == [f"run-{i}" for i in range(12)]  # run-2 before run-10
    table.sort = [
        {"column": "params.k", "descending": False},
        {"column": "run_name", "descending": True},
    ]
    assert _names(table, 0, 2) == ["run-297", "run-294"]  # k0, then names descending
    table.sort = []
    assert _names(table, 0, 1) == ["run-299"]  # the store's order again


def test_bad_sort_or_window_is_refused_at_the_call(many):
    table = lt.runs("many")
    with pytest.raises(InvalidParameter, match="sort"):
        table.sort = [{"column": "metrics.m"}]
    with pytest.raises(InvalidParameter, match="window"):
        table.window = {"start": 5, "end": 2}


def test_filtering_requeries_and_pages_the_matching_runs(many):
    table = lt.runs("many", columns=["run_name", "params.k"])
    table.filter = "params.k = 'k1'"
    assert table.run_count == 100 and set(table.rows(0, 100)["data"]["params.k"]) == {"k1"}


def test_click_toggle_and_shift_ranges_reach_beyond_the_window(many):
    table = lt.runs("many", columns=["run_name"])
    table.sort = [{"column": "run_name", "descending": False}]
    table.select(5)
    assert table.selected == [many[5]]
    table.select(250, range=True)  # far outside the page the browser holds
    assert table.selected == many[5:251]
    table.select(2, toggle=True)
    assert table.selected == [*many[5:251], many[2]]
    table.select(2, toggle=True)
    table.select(0, toggle=True, range=True)  # from the anchor (row 2) to row 0, added
    assert table.selected == [*many[5:251], many[0], many[1], many[2]]
    table.select(3)
    table.select(3)  # clicking the only selected row again clears the selection
    assert table.selected == []
    table.select(4, key=True)
    table.select(4, key=True)  # a key move selects, never clears
    assert table.selected == [many[4]]


def test_select_all_takes_every_run_the_filter_matches_through_a_message(many):
    table = lt.runs("many")
    table.filter = "params.k = 'k2'"
    table._on_message(table, {"type": "select_all"}, [])
    assert sorted(table.selected) == sorted(many[2::3])
    table._on_message(table, {"type": "select", "position": 0, "range": False}, [])
    assert table.selected == [many[299]]
    table._on_message(table, {"type": "select", "position": "x"}, [])  # ignored
    assert table.selected == [many[299]]


def test_groups_are_computed_over_every_run_and_collapse_in_the_kernel(many):
    table = lt.runs("many", columns=["run_name", "metrics.m"], group_by="params.k")
    assert [(g["name"], g["count"]) for g in table.groups] == [
        ("k0", 100),
        ("k1", 100),
        ("k2", 100),
    ]
    assert table.row_count == 303
    page = table.rows(0, 303)
    assert [i for i, g in enumerate(page["group"]) if g >= 0] == [0, 101, 202]
    assert page["run_id"][0] == "" and page["data"]["run_name"][0] is None
    assert table.groups[1]["aggregates"]["metrics.m"]["max"] == 9.0
    table.sort = [{"column": "run_name", "descending": False}]
    assert _names(table, 1, 3) == ["run-0", "run-3"]  # sorted within the group
    table.collapsed = ["k0"]
    assert table.row_count == 203 and table.rows(0, 2)["group"] == [0, 1]
    table.select(1)  # a header is never selected
    assert table.selected == []
    table.select(2)
    table.select(101, range=True)
    assert len(table.selected) == 100 and many[1] in table.selected
    header, rows, _ = table.fallback_table()
    assert header[0] == "group" and rows[0][:2] == ["k0", "run-0"]


def test_a_table_built_directly_accepts_note_edits_for_any_run_it_holds(many):
    table = RunsTable(RunSource("many"), visible_columns=["run_name"])
    sent = []
    table.send = sent.append
    far = many[0]  # the last row: never in the first page
    assert far not in table.page["run_id"]
    table._handle_custom_msg({"type": "set_note", "run_id": far, "note": "*kept*"}, [])
    assert sent[-1] == {"run_id": far, "type": "note", "note": "*kept*"}
    assert notes.note_of(lt.get_run(far)) == "*kept*"
    table.filter = "params.k = 'k1'"  # run-0 has k0: no longer held
    table._handle_custom_msg({"type": "get_note", "run_id": far}, [])
    assert sent[-1]["type"] == "note_error"


def test_sort_ranks_numbers_first_then_text_naturally_and_case_blind():
    import numpy as np
    import pandas as pd

    from labtrack.widgets import _data

    values = pd.Series(["run-10", "Run-2", None, 3, "a", 1.5, "run-2"], dtype=object)
    ranks = _data.sort_ranks(values)
    assert np.isnan(ranks[2])
    order = _data.sort_order([(ranks, False)], len(values)).tolist()
    assert [values[i] for i in order] == [1.5, 3, "a", "Run-2", "run-2", "run-10", None]
    descending = _data.sort_order([(ranks, True)], len(values)).tolist()
    assert [values[i] for i in descending] == ["run-10", "Run-2", "run-2", "a", 3, 1.5, None]


@pytest.fixture
def big(monkeypatch):
    """Tables of over 100 runs load in the background after their first 50."""
    from labtrack.widgets import runs_table

    monkeypatch.setattr(runs_table, "SYNC_RUNS", 100)
    monkeypatch.setattr(runs_table, "FIRST_LOAD", 50)
    return runs_table._LOADS  # held, it keeps a table as first drawn


def test_a_big_table_shows_its_first_page_and_count_before_the_rest_loads(many, big):
    with big:  # the background load waits
        table = lt.runs("many", columns=["run_name", "metrics.m"])
        sent = []
        table.send = sent.append
        assert table.loading and table.run_count == table.row_count == 300  # the scrollbar's
        assert table.page["data"]["run_name"][:2] == ["run-299", "run-298"]  # newest first
        assert len(table.rows(0, 300)["run_id"]) == 50  # only the first runs are held
        assert table.fallback_table()[2] == "300 runs (first 50 shown)"
        table._on_message(table, {"type": "get_loading"}, [])
        assert sent == [{"type": "loading", "runs": 300}]
    assert table.wait(timeout=60) and not table.loading
    assert sent[-1] == {"type": "loading", "runs": 0}
    assert _names(table)[-1] == "run-0" and len(table.data["run_id"]) == 300


def test_sorting_grouping_and_selecting_during_the_load_wait_for_it(many, big):
    with big:
        table = lt.runs("many", columns=["run_name", "metrics.m"])
        table.sort = [{"column": "run_name", "descending": False}]
        assert table.page["run_id"] == [] and table.row_count == 300  # sorted rows wait
        table.sort = []
        assert table.page["data"]["run_name"][0] == "run-299"  # the first page again
        table._on_message(table, {"type": "select", "position": 0}, [])
        assert table.selected == [many[299]]  # a row held: answered at once
        table.group_by = "params.k"
        assert table.groups == [] and table.page["run_id"] == []
        table.sort = [{"column": "run_name", "descending": False}]
    assert table.wait(timeout=60)
    assert [(g["name"], g["count"]) for g in table.groups] == [
        ("k0", 100),
        ("k1", 100),
        ("k2", 100),
    ]
    assert _names(table, 1, 3) == ["run-0", "run-3"]  # sorted within the group
    assert table.selected == [many[299]]


def test_selections_reaching_rows_still_loading_are_answered_once_they_are_in(many, big):
    with big:
        table = lt.runs("many")
        table._on_message(table, {"type": "select", "position": 0}, [])
        table._on_message(table, {"type": "select", "position": 200, "range": True}, [])
        assert table.selected == [many[299]]  # row 200 is not held yet
    table.wait(timeout=60)
    assert table.selected == many[99:][::-1]  # rows 0 to 200, newest first
    with big:
        table.refresh()
        table._on_message(table, {"type": "select_all"}, [])
        assert table.selected == many[99:][::-1]  # kept while loading
    table.wait(timeout=60)
    assert sorted(table.selected) == sorted(many)


def test_a_filter_during_the_load_queries_again_and_the_old_load_is_dropped(many, big):
    with big:
        table = lt.runs("many", columns=["run_name", "params.k"])
        table.filter = "params.k = 'k1'"  # 100 runs: read at once
        assert not table.loading and table.run_count == 100
        table.filter = "params.k != 'k1'"  # 200: the first page from SQL, the rest to load
        assert table.loading and table.run_count == 200
        assert set(table.page["data"]["params.k"]) == {"k0", "k2"}
    assert table.wait(timeout=60)
    assert table.run_count == 200 and set(table.data["params.k"]) == {"k0", "k2"}


def test_a_failed_background_load_shows_in_the_table_not_as_a_thread_traceback(
    many, big, monkeypatch
):
    import threading

    import sqlalchemy as sa

    raised = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    engine = lt.Client().store.engine
    with big:
        table = lt.runs("many", columns=["run_name"])
        with engine.begin() as conn:  # the store breaks under the load
            conn.execute(sa.text("ALTER TABLE params RENAME TO params_gone"))
    table.wait(timeout=60)
    assert table.error.startswith("labtrack could not load every run:")
    assert table.loading and table.page["data"]["run_name"][0] == "run-299"  # what it had
    assert raised == []


def test_groups_or_columns_only_older_runs_have_are_read_at_once(many, big):
    client = lt.Client()
    client.log_param(many[0], "old", "yes")  # the oldest run: not in the first page
    client.flush()
    with big:  # no background load could finish here
        grouped = lt.runs("many", group_by="params.k")
        assert not grouped.loading and [g["count"] for g in grouped.groups] == [100, 100, 100]
        table = lt.runs("many", columns=["run_name", "params.old"])
        assert not table.loading and table.rows(299, 300)["data"]["params.old"] == ["yes"]
        with pytest.raises(InvalidParameter, match="unknown columns"):
            lt.runs("many", columns=["params.nowhere"])


def test_a_failure_showing_the_loaded_runs_shows_in_the_table_not_as_a_thread_traceback(
    many, big, monkeypatch
):
    import threading

    from labtrack.widgets.runs_table import RunsTable

    raised = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    with big:
        table = lt.runs("many", columns=["run_name"])
        install = RunsTable._install

        def install_then_fail(self, frame, count, partial):
            if not partial:  # what the background load installs
                raise RuntimeError("the frame cannot be shown")
            install(self, frame, count, partial)

        monkeypatch.setattr(RunsTable, "_install", install_then_fail)
    table.wait(timeout=60)
    assert table.error == "labtrack could not show every run: the frame cannot be shown"
    assert raised == []
