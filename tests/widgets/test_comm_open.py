"""A widget's comm opens with its whole state, not an empty one filled in by updates.

anywidget (0.11) drops every message to a model whose module took over 2 s to load, as on
a busy page: a widget that opened empty and sent its runs after stayed empty ("No runs to
compare."). labtrack.widgets._base opens the comm once the constructor has run.
"""

from __future__ import annotations

import comm
import numpy as np
import pytest
from ipywidgets.widgets.widget import _remove_buffers

import labtrack as lt
from labtrack.errors import InvalidParameter


@pytest.fixture
def opened(monkeypatch):
    """The state each comm opened with, by comm id, as the front end receives it."""
    states: dict[str, dict] = {}
    create = comm.create_comm

    def recording(**kwargs):
        created = create(**kwargs)
        states[created.comm_id] = kwargs["data"]["state"]
        return created

    monkeypatch.setattr(comm, "create_comm", recording)
    return states


def _media(ids):
    """``lt.media`` over an image logged to run "a" (the sweep logs none)."""
    with lt.start_run(run_id=ids["a"]):
        lt.log_image(np.zeros((4, 4, 3), dtype=np.uint8), key="samples", step=0)
    return lt.media("samples", runs=[ids["a"]])


WIDGETS = {
    "runs": lambda ids: lt.runs(experiment="sweep"),
    "chart": lambda ids: lt.chart("loss", experiment="sweep"),
    "scatter": lambda ids: lt.scatter("params.lr", "metrics.acc", experiment="sweep"),
    "parallel": lambda ids: lt.parallel(metric="acc", experiment="sweep"),
    "compare": lambda ids: lt.compare(ids["a"], ids["b"]),
    "media": _media,
}


@pytest.mark.parametrize("name", WIDGETS)
def test_the_comm_opens_with_the_state_the_constructor_built(sweep, opened, name):
    widget = WIDGETS[name](sweep)
    sent = opened[widget.comm.comm_id]
    built, _paths, _buffers = _remove_buffers(widget.get_state())
    assert sent == built
    assert not sent["empty_message"]  # runs, not "No runs" (the state an empty widget has)


def test_a_widget_whose_constructor_fails_opens_no_comm(sweep, opened):
    lt.chart("loss", experiment="sweep")  # Plotly's provider opens once per kernel: now
    before = set(opened)
    with pytest.raises(InvalidParameter, match="none of the runs logs 'nope'"):
        lt.compare(sweep["a"], sweep["b"], metric="nope")  # fails after the base constructor
    assert set(opened) == before  # no half-built comparison in the front end
