"""The widgets in a real JupyterLab, driven by headless Chromium: what a person sees."""

from __future__ import annotations

import pytest

SETUP = """
import labtrack as lt
lt.set_experiment("e2e")
for name, lr in [("<img src=x onerror=alert(1)>", 0.1), ("steady", 0.01), ("slow", 0.001)]:
    with lt.start_run(run_name=name):
        lt.log_params({"lr": lr, "optimizer": "adam"})
        for step in range(30):
            lt.log_metrics({"loss": 1 / (1 + step * lr * 10), "acc": 1 - 1 / (2 + step * lr * 5)}, step=step)
print("logged")
"""

CELLS = [
    SETUP,
    "table = lt.runs()\ntable",
    "chart = lt.chart('loss')\nchart",
    "points = lt.scatter('params.lr', 'metrics.acc', log_x=True)\npoints",
    "lt.compare(*lt.search_runs(output_format='list')[:2])",
]


@pytest.fixture(scope="module")
def notebook(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    ui.open_notebook(page, lab, "widgets.ipynb", CELLS)
    yield page
    context.close()


def test_run_table_draws_rows_and_escapes_names(notebook, ui):
    output = ui.cell_output(notebook, 1)
    rows = output.locator(".lt-tr")
    rows.first.wait_for(timeout=90_000)
    assert rows.count() == 3
    text = output.inner_text()
    assert "<img src=x onerror=alert(1)>" in text  # shown as text...
    assert output.locator("img").count() == 0  # ...never as an element
    assert "3 runs" in output.locator(".lt-countline").inner_text()
    ui.screenshot(output, "runs_table")


def test_clicking_a_row_selects_the_run_in_python(notebook, ui):
    output = ui.cell_output(notebook, 1)
    output.locator(".lt-tr").first.click()
    answer = ui.run_cell_and_read(
        notebook, "print(table.selected == [lt.search_runs()['run_id'][0]])"
    )
    assert answer.strip() == "True"


def test_metric_chart_draws_one_line_per_run(notebook, ui):
    output = ui.cell_output(notebook, 2)
    plot = output.locator(".js-plotly-plot")
    plot.wait_for(timeout=90_000)
    traces = plot.locator(".scatterlayer .trace")
    notebook.wait_for_function(
        "(n) => document.querySelectorAll('.jp-CodeCell')[2]"
        ".querySelectorAll('.scatterlayer .trace').length >= n",
        arg=3,
        timeout=30_000,
    )
    assert traces.count() == 3
    ui.screenshot(output, "metric_chart")


def test_scatter_draws_a_point_per_run_and_a_click_selects(notebook, ui):
    output = ui.cell_output(notebook, 3)
    points = output.locator(".js-plotly-plot .scatterlayer .point")
    points.first.wait_for(timeout=90_000)
    assert points.count() == 3
    ui.screenshot(output, "scatter")
    box = points.first.bounding_box()
    notebook.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    answer = ui.run_cell_and_read(notebook, "print(len(points.selected))")
    assert answer.strip() == "1"


def test_compare_shows_params_and_metrics(notebook, ui):
    output = ui.cell_output(notebook, 4)
    output.locator(".lt-compare-table").first.wait_for(timeout=90_000)
    text = output.inner_text()
    assert "lr" in text and "loss" in text
    ui.screenshot(output, "compare")
