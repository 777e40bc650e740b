"""Every widget's static views (where no widget manager runs): its table, as HTML with a
caption and as text, or its empty message alone."""

from __future__ import annotations

import pytest

import labtrack as lt

WIDGETS = {
    "runs": (lambda ids: lt.runs(experiment="sweep"), "4 runs"),
    "chart": (lambda ids: lt.chart("loss", experiment="sweep"), "metric chart"),
    "scatter": (
        lambda ids: lt.scatter("params.lr", "metrics.acc", experiment="sweep"),
        "metrics.acc vs params.lr",
    ),
    "compare": (lambda ids: lt.compare(ids["a"], ids["b"]), "run comparison (* differs)"),
}


def _views(widget) -> tuple[str, str]:
    data = widget._repr_mimebundle_()[0]
    return data["text/plain"], data["text/html"]


@pytest.mark.parametrize("name", WIDGETS)
def test_the_static_views_show_the_table_or_else_the_empty_message(sweep, name):
    make, caption = WIDGETS[name]
    widget = make(sweep)
    try:
        text, html = _views(widget)
        assert html.startswith("<table") and f"<caption>{caption}</caption>" in html
        assert len(text.splitlines()) > 2  # a header and a line per row
        assert caption not in text  # the caption is the HTML view's only
        widget.empty_message = "Nothing to show: log a run first"
        text, html = _views(widget)
        assert text == "Nothing to show: log a run first"
        assert html == "<p>Nothing to show: log a run first</p>"
    finally:
        if hasattr(widget, "close"):
            widget.close()
