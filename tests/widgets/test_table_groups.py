"""lt.runs(group_by=...): rows grouped in the kernel, with counts and numeric aggregates."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.widgets import _data


@pytest.fixture
def grouped(tracking_uri):
    lt.set_experiment("grouped-table")
    ids = {}
    for name, group, acc in [("a1", "adam", 0.8), ("a2", "adam", 0.9), ("s1", "sgd", 0.5)]:
        with lt.start_run(run_name=name, group=group) as run:
            lt.log_param("optimizer", group)
            lt.log_metric("acc", acc)
        ids[name] = run.info.run_id
    with lt.start_run(run_name="n1") as run:  # no group, no acc
        lt.log_param("optimizer", "none")
    ids["n1"] = run.info.run_id
    return ids


def _names(table, group):
    """The names of a group's runs, from the display rows the kernel pages out."""
    page = table.rows(0, table.row_count)
    names = dict(zip(table.data["run_id"], table.data["run_name"], strict=True))
    g = table.groups.index(group)
    heads = [i for i, at in enumerate(page["group"]) if at >= 0] + [len(page["group"])]
    return sorted(names[r] for r in page["run_id"][heads[g] + 1 : heads[g + 1]])


def test_rows_are_grouped_with_counts_and_aggregates(grouped):
    table = lt.runs("grouped-table", group_by="tags.labtrack.group")
    assert table.group_by == "tags.labtrack.group"
    assert [(g["name"], g["count"]) for g in table.groups] == [
        ("adam", 2),
        ("sgd", 1),
        ("(none)", 1),
    ]
    adam, sgd, none = table.groups
    assert _names(table, adam) == ["a1", "a2"] and _names(table, none) == ["n1"]
    assert adam["aggregates"]["metrics.acc"] == pytest.approx(
        {"mean": 0.85, "min": 0.8, "max": 0.9}
    )
    assert sgd["aggregates"]["metrics.acc"] == pytest.approx({"mean": 0.5, "min": 0.5, "max": 0.5})
    assert "metrics.acc" not in none["aggregates"]  # no value: no aggregate
    assert set(adam["aggregates"]) >= {"duration"}
    # The group is a column the table can show (labelled "group"), though a labtrack. tag.
    assert {
        "name": "tags.labtrack.group",
        "label": "group",
        "group": "tags",
        "dtype": "string",
    } in (table.columns)


def test_grouping_follows_the_filter_and_can_be_changed_or_dropped(grouped):
    table = lt.runs("grouped-table", group_by="params.optimizer")
    assert [g["name"] for g in table.groups] == ["adam", "none", "sgd"]
    table.filter = "metrics.acc > 0.6"
    assert [(g["name"], g["count"]) for g in table.groups] == [("adam", 2)]
    table.group_by = "tags.labtrack.group"
    assert [g["name"] for g in table.groups] == ["adam"]
    table.group_by = ""
    assert table.groups == []


def test_grouped_fallback_lists_rows_by_group(grouped):
    table = lt.runs("grouped-table", group_by="tags.labtrack.group", columns=["run_name"])
    header, rows, _ = table.fallback_table()
    assert header == ["group", "run"]
    assert [row[0] for row in rows] == ["adam", "adam", "sgd", "(none)"]
    assert "<td>sgd</td><td>s1</td>" in table.fallback_html()


def test_unknown_group_by_column_is_refused(grouped):
    with pytest.raises(InvalidParameter, match="group_by: no column 'params.nope'"):
        lt.runs("grouped-table", group_by="params.nope")


def test_table_groups_aggregates_numbers_and_skips_text():
    columns = [
        {"name": "metrics.m", "label": "m", "group": "metrics", "dtype": "number"},
        {"name": "params.p", "label": "p", "group": "params", "dtype": "string"},
    ]
    data = {"metrics.m": [1.0, None, 3.0, 10.0], "params.p": ["x", "y", "z", "w"]}
    groups, row_group = _data.table_groups(["b", "b", "b", None], data, columns)
    assert [(g["name"], g["count"]) for g in groups] == [("b", 3), ("(none)", 1)]
    assert row_group.tolist() == [0, 0, 0, 1]
    assert groups[0]["aggregates"] == {"metrics.m": {"mean": 2.0, "min": 1.0, "max": 3.0}}
    groups, row_group = _data.table_groups([], {}, columns)
    assert groups == [] and len(row_group) == 0
