"""Plotly travels and is saved once per notebook, not once per chart widget.

The chart widgets' modules leave Plotly out; the kernel's one PlotlyProvider carries it to
front ends without the labtrack JupyterLab extension (labtrack.widgets._plotly). The browser
side (drawing with and without the extension) is tests/e2e/test_plotly_once.py.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

import labtrack as lt
from labtrack.widgets import _plotly

STATIC = Path(lt.__file__).parent / "widgets" / "static"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

# Five chart widgets in a notebook, over a few finished runs.
CELLS = [
    """import labtrack as lt
lt.set_experiment("five-charts")
for lr in (0.1, 0.01, 0.001):
    with lt.start_run(run_name=f"lr={lr}") as run:
        lt.log_params({"lr": lr, "optimizer": "adam"})
        for step in range(20):
            lt.log_metrics({"loss": 1 / (1 + step * lr * 10), "acc": step * lr}, step=step)
ids = [r.info.run_id for r in lt.search_runs(output_format="list")]""",
    'lt.chart("loss", experiment="five-charts")',
    'lt.chart("acc", experiment="five-charts", log_y=True)',
    'lt.scatter("params.lr", "metrics.loss", experiment="five-charts")',
    'lt.parallel(metric="loss", experiment="five-charts")',
    "lt.compare(ids[0], ids[1])",
]


@pytest.fixture
def plotly_source() -> str:
    return _plotly.plotly_source()


def test_widget_modules_leave_plotly_out_and_it_is_built_once(plotly_source):
    manifest = _plotly.manifest()
    assert manifest["plotly_widgets"] == [
        "compare",
        "media",
        "metric_chart",
        "monitor",
        "parallel",
        "scatter",
    ]
    assert len(plotly_source) > 1_000_000
    # A line of Plotly's own code that every copy of it carries.
    marker = "plotly_afterplot"
    assert marker in plotly_source
    for name in [*manifest["plotly_widgets"], "runs_table"]:
        module = (STATIC / f"{name}.js").read_text(encoding="utf-8")
        assert marker not in module, name
        assert len(module) < 200_000, name
    assert sorted(p.name for p in STATIC.glob("plotly.*.js")) == [manifest["plotly"]]


def test_chart_widgets_share_the_kernels_one_provider(sweep, plotly_source, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setattr(_plotly, "_provider", None)
    chart = lt.chart("loss", experiment="sweep")
    scatter = lt.scatter("params.lr", "metrics.acc", experiment="sweep")
    compare = lt.compare(sweep["a"], sweep["b"])
    provider = chart._plotly
    assert isinstance(provider, _plotly.PlotlyProvider)
    assert scatter._plotly is provider and compare._plotly is provider
    # Synced as a widget reference, so the front end finds the provider's model.
    assert chart.get_state("_plotly")["_plotly"] == f"IPY_MODEL_{provider.model_id}"
    # No front end with the extension is known here: the source is there at once.
    assert _unpack(provider.source_gzip) == plotly_source
    # The run table draws no Plotly and references none.
    assert lt.runs("sweep")._plotly is None
    # A closed provider is replaced by a new one.
    provider.close()
    assert lt.chart("acc", experiment="sweep")._plotly is not provider


def test_under_a_jupyter_server_the_source_is_sent_only_when_a_page_asks(
    sweep, plotly_source, monkeypatch
):
    monkeypatch.setenv("JPY_SESSION_NAME", "/tmp/notebook.ipynb")
    monkeypatch.setattr(_plotly, "_provider", None)
    provider = lt.chart("loss", experiment="sweep")._plotly
    assert provider.source_gzip == ""  # a page with the extension never asks
    sent = []
    provider.observe(lambda change: sent.append(change["new"]), "source_gzip")
    # What a page without the extension sends (js/shared/plotly.ts), through the comm's handler.
    provider._handle_custom_msg({"type": "need"}, [])
    provider._handle_custom_msg({"type": "need"}, [])
    assert _unpack(provider.source_gzip) == plotly_source
    assert len(sent) == 1  # a second page's ask sends nothing again
    provider._handle_custom_msg({"type": "something else"}, [])
    assert len(sent) == 1


def _unpack(packed: str) -> str:
    return gzip.decompress(base64.b64decode(packed)).decode("utf-8")


def _execute(tmp_path: Path, tracking_uri: str) -> Path:
    import papermill

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in CELLS],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    source, output = tmp_path / "five_charts.ipynb", tmp_path / "five_charts.out.ipynb"
    nbformat.write(notebook, source)
    env = {"LABTRACK_TRACKING_URI": tracking_uri}
    previous = {key: os.environ.get(key) for key in [*env, "JPY_SESSION_NAME"]}
    os.environ.update(env)
    os.environ.pop("JPY_SESSION_NAME", None)  # as `labtrack run` executes: no server, no page
    try:
        papermill.execute_notebook(
            str(source), str(output), kernel_name="python3", progress_bar=False, cwd=str(tmp_path)
        )
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return output


@pytest.mark.skipif(sys.platform == "win32", reason="kernel start-up time on Windows CI")
def test_a_notebook_of_five_charts_executed_by_papermill_saves_plotly_once(
    tracking_uri, tmp_path, plotly_source
):
    output = _execute(tmp_path, tracking_uri)
    text = output.read_text(encoding="utf-8")
    assert len(text.encode()) < 1_600_000, f"{len(text.encode()):,} bytes"
    states = json.loads(text)["metadata"]["widgets"][WIDGET_STATE]["state"]
    providers = [
        (model_id, model["state"])
        for model_id, model in states.items()
        if model["state"].get("source_gzip")
    ]
    assert len(providers) == 1
    provider_id, provider_state = providers[0]
    assert _unpack(provider_state["source_gzip"]) == plotly_source
    # Plotly is saved once, packed: no widget's module carries a copy of its own.
    assert "plotly_afterplot" not in text
    # Every chart points at that provider.
    charts = [m["state"] for m in states.values() if "_plotly" in m["state"]]
    assert len(charts) == 5
    assert {chart["_plotly"] for chart in charts} == {f"IPY_MODEL_{provider_id}"}
