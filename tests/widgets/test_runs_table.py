"""lt.runs(): the state the table's front end draws, and its text/HTML fallback."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter


def test_table_state_has_columns_rows_and_defaults(sweep):
    table = lt.runs("sweep")
    names = [c["name"] for c in table.columns]
    assert names[:4] == ["run_name", "status", "start_time", "duration"]
    assert {"metrics.loss", "metrics.acc", "params.lr", "params.optimizer", "tags.team"} <= set(
        names
    )
    assert not any(
        n.startswith("tags.mlflow.") for n in names
    )  # bookkeeping tags stay out of the chooser
    assert table.visible_columns[:4] == ["run_name", "status", "start_time", "duration"]
    assert "metrics.loss" in table.visible_columns and "params.lr" in table.visible_columns
    assert table.data["run_name"] == ["d", "c", "b", "a"]  # newest first
    assert table.data["status"] == ["FINISHED"] * 4
    assert all(isinstance(v, int) and v > 1_600_000_000_000 for v in table.data["start_time"])
    assert all(v is not None and v >= 0 for v in table.data["duration"])
    assert table.data["params.lr"] == ["0.3", "0.001", "0.01", "0.1"]


def test_filter_requeries_and_a_bad_filter_shows_its_error_without_losing_rows(sweep):
    table = lt.runs("sweep")
    table.filter = "params.optimizer = 'adam'"
    assert table.data["run_name"] == ["c", "b"] and table.error == ""
    table.filter = "params.optimizer = "
    assert "position" in table.error
    assert table.data["run_name"] == ["c", "b"]  # the last good result stays on screen
    table.filter = "metrics.loss < 0"
    assert table.data["run_name"] == [] and "match" in table.empty_message


def test_selection_keeps_only_runs_still_shown(sweep):
    table = lt.runs("sweep")
    table.selected = [sweep["a"], sweep["b"]]
    table.filter = "params.optimizer = 'adam'"
    assert table.selected == [sweep["b"]]


def test_chosen_columns_and_unknown_ones(sweep):
    table = lt.runs("sweep", columns=["run_name", "metrics.acc"])
    assert table.visible_columns == ["run_name", "metrics.acc"]
    with pytest.raises(InvalidParameter, match="unknown columns"):
        lt.runs("sweep", columns=["metrics.nope"])


def test_empty_experiment_says_what_to_do(tracking_uri):
    lt.set_experiment("empty")
    table = lt.runs()
    assert table.data["run_id"] == []
    assert (
        "No runs in experiment 'empty' yet" in table.empty_message
        and "lt.start_run" in table.empty_message
    )
    assert "No runs" in table._repr_mimebundle_()[0]["text/plain"]


def test_fallback_escapes_user_strings(tracking_uri):
    lt.set_experiment("xss")
    with lt.start_run(run_name="<img src=x onerror=alert(1)>"):
        lt.log_param("p", "<script>alert(2)</script>")
    table = lt.runs(columns=["run_name", "params.p"])
    data, _ = table._repr_mimebundle_()
    assert "<img" not in data["text/html"] and "<script>" not in data["text/html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "<img src=x onerror=alert(1)>" in data["text/plain"]  # plain text is just text


def test_refresh_picks_up_new_runs(sweep):
    table = lt.runs("sweep")
    with lt.start_run(run_name="e"):
        pass
    table.refresh()
    assert table.data["run_name"][0] == "e"


def test_float32_params_show_short_in_the_fallback_and_are_stored_unchanged(tracking_uri):
    import numpy as np

    lt.set_experiment("keras")
    with lt.start_run(run_name="k"):
        lt.log_param("learning_rate", float(np.float32(0.001)))  # as Keras logs it
        lt.log_param("eps", 0.30000000000000004)  # a float64: not shortened
    table = lt.runs("keras", columns=["run_name", "params.learning_rate", "params.eps"])
    assert table.data["params.learning_rate"] == ["0.0010000000474974513"]  # stored as logged
    text = table.fallback_text()
    assert "0.001 " in text + " " and "0.0010000000474974513" not in text
    assert "0.30000000000000004" in text
    assert "<td>0.001</td>" in table.fallback_html()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("0.0010000000474974513", "0.001"),
        ("-2.5999999046325684", "-2.6"),
        ("0.30000000000000004", "0.30000000000000004"),
        ("1073741824000", "1073741824000"),
        ("adam", "adam"),
        ("0.1", "0.1"),
        (None, None),
    ],
)
def test_short_param(text, shown):
    from labtrack.widgets._data import short_param

    assert short_param(text) == shown


def test_system_metrics_are_a_column_group_of_their_own_and_not_shown_by_default(tracking_uri):
    lt.set_experiment("system-columns")
    with lt.start_run():
        lt.log_metrics({f"system/m{i}": float(i) for i in range(5)})  # sorted before "val_acc"
        lt.log_metric("val_acc", 0.9)
    lt.flush()
    table = lt.runs("system-columns")
    groups = {c["name"]: (c["group"], c["label"], c["dtype"]) for c in table.columns}
    assert groups["metrics.system/m0"] == ("system", "m0", "number")
    assert groups["metrics.val_acc"] == ("metrics", "val_acc", "number")
    assert "metrics.val_acc" in table.visible_columns
    assert not [name for name in table.visible_columns if "system/" in name]
