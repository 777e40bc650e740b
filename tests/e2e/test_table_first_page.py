"""A big run table in a real JupyterLab draws its first page before its runs are loaded in
the kernel: the rows and the total at once, "loading N runs…" under the grid, a sort that
waits for the load (its rows shown as loading) and is drawn once every run is in."""

from __future__ import annotations

from pathlib import Path

import pytest

RUNS = 5_000  # over runs_table.SYNC_RUNS: loaded in the background
SETUP = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import labtrack as lt
from bulk_runs import add_runs
from labtrack.widgets import runs_table
add_runs(lt.get_tracking_uri(), "first-page", {RUNS})
print("ready")
"""
# The background load is held (the lock loads take) until the test lets it go.
TABLE = """runs_table._LOADS.acquire()
table = lt.runs("first-page", columns=["run_name", "metrics.acc"])
table"""
ROW = ".lt-tr[data-index='{}']"


@pytest.fixture(scope="module")
def notebook(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    ui.open_notebook(page, lab, "first_page.ipynb", [SETUP, TABLE])
    ui.cell_output(page, 1).locator(".lt-tr").first.wait_for(timeout=180_000)
    yield page
    context.close()


def test_first_page_shows_while_the_runs_load_and_a_sort_waits_for_them(notebook, ui):
    output = ui.cell_output(notebook, 1)
    first = output.locator(ROW.format(0) + ":not(.lt-loading)")
    first.wait_for(timeout=30_000)
    assert first.locator(".lt-td").first.inner_text() == f"run-{RUNS - 1}"  # newest first
    countline = output.locator(".lt-countline")
    countline.filter(has_text="5,000 runs · loading 5,000 runs…").wait_for(timeout=30_000)
    output.locator(".lt-th[data-column='metrics.acc']").click()  # sorted rows need every run
    output.locator(ROW.format(0) + ".lt-loading").wait_for(timeout=30_000)
    assert "loading" in countline.inner_text()
    expected = ui.run_cell_and_read(
        notebook,
        "runs_table._LOADS.release()\n"
        "print(table.wait(60), table.sort[0]['column'], table.rows(0, 1)['data']['run_name'][0])",
        timeout=90_000,
    ).split()
    assert expected[:2] == ["True", "metrics.acc"]
    notebook.wait_for_function(
        "(name) => [...document.querySelectorAll(\".lt-tr[data-index='0']:not(.lt-loading)\")]"
        ".some((row) => row.textContent.includes(name))",
        arg=expected[2],
        timeout=30_000,
    )
    notebook.wait_for_function(  # every run in: the line under the grid says so
        "() => [...document.querySelectorAll('.lt-countline')]"
        ".some((line) => line.textContent === '5,000 runs')",
        timeout=30_000,
    )
