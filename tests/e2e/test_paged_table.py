"""The run table paged from the kernel, in a real JupyterLab: 20,000 runs, of which only the
rows in view reach the browser; scrolling to the end, sorting and selecting over all of them."""

from __future__ import annotations

from pathlib import Path

import pytest

RUNS = 20_000
SETUP = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import json
import labtrack as lt
from bulk_runs import add_runs
add_runs(lt.get_tracking_uri(), "paged", {RUNS})
print("ready")
"""
CELLS = [
    SETUP,
    'table = lt.runs("paged", columns=["run_name", "metrics.acc", "params.optimizer"])\ntable',
]
ROW = ".lt-tr[data-index='{}']"


@pytest.fixture(scope="module")
def notebook(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    ui.open_notebook(page, lab, "paged_table.ipynb", CELLS)
    ui.cell_output(page, 1).locator(".lt-tr").first.wait_for(timeout=180_000)
    yield page
    context.close()


def _scroll_to(output, position: int) -> None:
    output.locator(".lt-scroll").evaluate(
        "(el, row) => { el.scrollTop = row * 28; el.dispatchEvent(new Event('scroll')); }",
        position,
    )


def _row_text(output, position: int, timeout: float = 120_000) -> str:
    row = output.locator(ROW.format(position) + ":not(.lt-loading)")
    row.wait_for(timeout=timeout)
    return row.locator(".lt-td").first.inner_text()


def test_draws_20000_runs_keeping_few_rows_in_the_page_and_the_state_small(notebook, ui):
    output = ui.cell_output(notebook, 1)
    assert output.locator(".lt-countline").inner_text().startswith("20,000 runs")
    assert output.locator(".lt-tr").count() < 100  # virtualized: rows in view only
    assert _row_text(output, 0) == "run-19999"  # newest first
    _scroll_to(output, RUNS)  # to the end, far past the first page
    assert _row_text(output, RUNS - 1) == "run-0"
    assert output.locator(".lt-tr").count() < 100
    answer = ui.run_cell_and_read(
        notebook,
        "state = {k: getattr(table, k) for k in table.keys if not k.startswith('_')"
        " and k not in ('layout', 'comm')}\n"
        "print(len(json.dumps(state)) < 100_000, table.window['start'] > 19_000,"
        " len(table.page['run_id']) < 2_000)",
    )
    assert answer.split() == ["True", "True", "True"]


def test_sorting_is_done_by_the_kernel_and_redraws_the_rows_in_view(notebook, ui):
    output = ui.cell_output(notebook, 1)
    _scroll_to(output, 0)
    output.locator(".lt-th[data-column='metrics.acc']").click()  # ascending
    notebook.wait_for_function(
        "() => document.querySelector(\".lt-th[data-column='metrics.acc']\")"
        ".getAttribute('aria-sort') === 'ascending'"
    )
    expected = ui.run_cell_and_read(notebook, "print(table.rows(0, 1)['data']['run_name'][0])")
    notebook.wait_for_function(
        "(name) => [...document.querySelectorAll(\".lt-tr[data-index='0']\")]"
        ".some((row) => row.textContent.includes(name))",
        arg=expected.strip(),
        timeout=30_000,
    )
    _scroll_to(output, RUNS)
    last = output.locator(ROW.format(RUNS - 1) + ":not(.lt-loading)")
    last.wait_for(timeout=30_000)
    assert last.locator(".lt-td").nth(1).get_attribute("class").count("lt-missing") == 1


def test_shift_click_ranges_and_select_all_reach_runs_never_sent(notebook, ui):
    output = ui.cell_output(notebook, 1)
    _scroll_to(output, 0)
    output.locator(ROW.format(0) + ":not(.lt-loading)").click()
    _scroll_to(output, 5000)
    output.locator(ROW.format(5000) + ":not(.lt-loading)").click(modifiers=["Shift"])
    output.locator(".lt-countline", has_text="5,001 selected").wait_for(timeout=30_000)
    output.locator(".lt-scroll").press("Control+a")
    output.locator(".lt-countline", has_text="20,000 selected").wait_for(timeout=60_000)
    answer = ui.run_cell_and_read(notebook, "print(len(table.selected))")
    assert answer.strip() == str(RUNS)
