"""The Python <-> JS contract: the state real widgets send has exactly the shape of the
fixtures the front-end tests (js/test) run on. Change one side, and this fails until the
other follows (regenerate with LABTRACK_WRITE_FIXTURES=1 and rerun `npm test`)."""

from __future__ import annotations

import base64
import json
import os
import typing
from pathlib import Path

import pytest

import labtrack as lt
from labtrack.widgets import contract

FIXTURES = Path(__file__).resolve().parents[2] / "js" / "widgets" / "fixtures"


def _state(widget) -> dict:
    """The synced traits a front end reads (anywidget's own bookkeeping left out)."""
    names = [
        n
        for n in widget.keys
        if not n.startswith("_")
        and n not in {"comm", "keys", "layout", "log", "tabbable", "tooltip"}
    ]
    return {name: getattr(widget, name) for name in sorted(names)}


def _shape(value):
    """Types, recursively: what a front end depends on (values may differ)."""
    if isinstance(value, bytes) or (isinstance(value, dict) and set(value) == {"__bytes_b64__"}):
        return "bytes"
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        shapes = {json.dumps(_shape(item), sort_keys=True) for item in value if item is not None}
        return ["list", sorted(shapes)[:1]]  # an element's shape (first by name), empty if none
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _jsonable(value):
    if isinstance(value, bytes):
        return {"__bytes_b64__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@pytest.fixture
def widgets(sweep):
    chart = lt.chart("loss", runs=[sweep["a"], sweep["b"]], experiment="sweep")
    made = {
        "runs_table": lt.runs("sweep"),
        "metric_chart": chart,
        "scatter": lt.scatter(
            "params.lr", "metrics.acc", color="params.optimizer", experiment="sweep"
        ),
        "compare": lt.compare(sweep["a"], sweep["b"]),
    }
    yield made
    chart.close()


@pytest.mark.parametrize("name", ["runs_table", "metric_chart", "scatter", "compare"])
def test_widget_state_matches_the_front_end_fixture(widgets, name):
    state = _state(widgets[name])
    path = FIXTURES / f"{name}.json"
    if os.environ.get("LABTRACK_WRITE_FIXTURES"):
        path.write_text(json.dumps(_jsonable(state), indent=1, sort_keys=True) + "\n")
    fixture = json.loads(path.read_text())
    assert sorted(fixture) == sorted(state), f"{name}: the front end expects other traits"
    for key in state:
        if isinstance(state[key], dict) and key in ("data", "points"):  # column maps: keys vary
            assert set(state[key]) >= {"run_id"} and set(fixture[key]) >= {"run_id"}
            continue
        if state[key] and fixture[key] not in ([], {}, None, ""):
            assert _shape(state[key]) == _shape(fixture[key]), f"{name}.{key} changed shape"


def _typed_dicts_checked(value, hint, where: str) -> set[str]:
    """Assert ``value`` has exactly the keys of the TypedDicts ``hint`` names, at every
    depth (lists of them included); return the names of the TypedDicts met."""
    if typing.is_typeddict(hint):
        assert isinstance(value, dict), f"{where}: a {hint.__name__} must be a dict"
        assert set(value) == set(hint.__annotations__), f"{where}: not {hint.__name__}'s keys"
        hints = typing.get_type_hints(hint)
        met = {hint.__name__}
        for key, item in value.items():
            met |= _typed_dicts_checked(item, hints[key], f"{where}.{key}")
        return met
    if typing.get_origin(hint) is list and value:
        (item_hint,) = typing.get_args(hint)
        return set().union(
            *(
                _typed_dicts_checked(item, item_hint, f"{where}[{i}]")
                for i, item in enumerate(value)
            )
        )
    return set()


@pytest.mark.parametrize(
    ("name", "state_type", "nested"),
    [
        ("runs_table", contract.RunsTableState, {"Column", "TablePage", "TableWindow"}),
        ("metric_chart", contract.MetricChartState, {"Series"}),
        ("scatter", contract.ScatterState, {"ScatterPoints"}),
        ("compare", contract.CompareState, {"CompareRun", "ParamRow", "MetricRow", "Series"}),
    ],
)
def test_widget_state_has_exactly_the_keys_contract_py_declares(widgets, name, state_type, nested):
    widget = widgets[name]
    assert type(widget).state_type is state_type
    met = _typed_dicts_checked(_state(widget), state_type, name)
    assert met == {state_type.__name__, *nested}  # the sweep fills every list checked
