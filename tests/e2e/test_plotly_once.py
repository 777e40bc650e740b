"""Plotly once per page in a real JupyterLab: five chart widgets draw with Plotly from the
labtrack extension, the kernel sending none; and, in a lab where the extension is disabled,
from the kernel's PlotlyProvider, sent once for all five."""

from __future__ import annotations

import json
import os

import pytest

CELLS = [
    """import labtrack as lt
from labtrack.widgets import _plotly
lt.set_experiment("plotly-once")
for lr in (0.1, 0.01, 0.001):
    with lt.start_run(run_name=f"lr={lr}"):
        lt.log_params({"lr": lr, "optimizer": "adam"})
        for step in range(20):
            lt.log_metrics({"loss": 1 / (1 + step * lr * 10), "acc": step * lr}, step=step)
ids = [r.info.run_id for r in lt.search_runs(output_format="list")]
sent = []  # every time the kernel sends Plotly's source
_plotly.provider().observe(lambda change: sent.append(len(change["new"])), "source_gzip")
print("logged")""",
    'lt.chart("loss")',
    'lt.chart("acc", log_y=True)',
    'lt.scatter("params.lr", "metrics.loss", log_x=True)',
    'lt.parallel(metric="loss")',
    "lt.compare(ids[0], ids[1])",
]
CHARTS = range(1, len(CELLS))


def _all_drawn(page, ui) -> None:
    """Wait until each chart cell shows a drawn Plotly figure."""
    for index in CHARTS:
        ui.wait_drawn(page, index)


def _kernel(page, ui, expression: str):
    return json.loads(ui.run_cell_and_read(page, f"import json; print(json.dumps({expression}))"))


def test_with_the_extension_five_charts_draw_and_the_kernel_sends_no_plotly(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    loaded = []
    page.on("request", lambda r: loaded.append(r.url) if "/plotly." in r.url else None)
    try:
        ui.open_notebook(page, lab, "plotly_with_extension.ipynb", CELLS)
        _all_drawn(page, ui)
        assert page.evaluate("() => typeof window.labtrackPlotly") == "function"
        assert page.evaluate("() => window.labtrackPlotlyFromProvider === undefined")
        # Plotly came once, from the extension's static assets.
        assert len(loaded) == 1 and "/lab/extensions/labtrack/static/plotly." in loaded[0]
        assert _kernel(page, ui, "[sent, _plotly.provider().source_gzip]") == [[], ""]
        ui.screenshot(ui.cell_output(page, 5), "plotly_once_extension_compare")
    finally:
        context.close()


@pytest.fixture(scope="module")
def lab_without_extension(tmp_path_factory, ui):
    """A lab where the labtrack JupyterLab extension is disabled, as
    `jupyter labextension disable labtrack` does (its server extension still runs)."""
    config = tmp_path_factory.mktemp("config")
    (config / "labconfig").mkdir()
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"labtrack": True}})
    )
    previous = os.environ.get("JUPYTER_CONFIG_PATH")
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(config), previous]))
    try:
        with ui.running_lab(tmp_path_factory.mktemp("lab_without_extension")) as handle:
            yield handle
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_CONFIG_PATH", None)
        else:
            os.environ["JUPYTER_CONFIG_PATH"] = previous


def test_without_the_extension_five_charts_draw_with_plotly_sent_once(
    lab_without_extension, browser, ui
):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    try:
        ui.open_notebook(page, lab_without_extension, "plotly_without_extension.ipynb", CELLS)
        _all_drawn(page, ui)
        assert page.evaluate("() => window.labtrackPlotly === undefined")  # no extension here
        assert page.evaluate("() => window.labtrackPlotlyFromProvider instanceof Promise")
        # One page asked once for five widgets: the source crossed the channel once.
        sent = _kernel(page, ui, "sent")
        assert len(sent) == 1 and sent[0] > 100_000
        ui.screenshot(ui.cell_output(page, 5), "plotly_once_provider_compare")
    finally:
        context.close()
