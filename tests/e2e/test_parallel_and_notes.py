"""lt.parallel and run notes in a real JupyterLab, driven by headless Chromium: dragging along
an axis selects the runs inside the brush in the kernel (and in the linked run table); a note
written under the run table shows, rendered, in a comparison made afterwards. Both themes.

Screenshots: artifacts-ci/screenshots/parallel_{light,dark}.png, notes_{table,compare}_*.png.
"""

from __future__ import annotations

import pytest

SETUP = """
import math
import random
import traitlets
import labtrack as lt
lt.set_experiment("parallel-e2e")
rng = random.Random(7)
for i in range(50):
    lr = 10 ** rng.uniform(-4, -1)
    optimizer = rng.choice(["adam", "sgd", "rmsprop"])
    batch = rng.choice([16, 32, 64, 128])
    with lt.start_run(run_name=f"trial-{i:02d}"):
        lt.log_params({"lr": lr, "optimizer": optimizer, "batch_size": batch})
        best = 1 - abs(-2.5 - math.log10(lr)) / 2  # a sweet spot near lr = 3e-3
        lt.log_metric("val_acc", 0.6 + 0.3 * best + rng.uniform(-0.03, 0.03))
print("logged")
"""

CELLS = [
    SETUP,
    "table = lt.runs(columns=['run_name', 'params.lr', 'params.optimizer', 'metrics.val_acc'])\ntable",
    "par = lt.parallel(metric='val_acc')\ntraitlets.link((table, 'selected'), (par, 'selected'))\npar",
]

# The lr of the runs inside and outside the selection, read in the kernel.
SPLIT = """
import json
runs = lt.search_runs()
inside = runs[runs.run_id.isin(par.selected)]["params.lr"].astype(float)
outside = runs[~runs.run_id.isin(par.selected)]["params.lr"].astype(float)
print(json.dumps({"n": len(par.selected), "linked": table.selected == par.selected,
                  "inside": [inside.min(), inside.max()] if len(inside) else None,
                  "outside": outside.tolist()}))
"""


@pytest.fixture(scope="module")
def notebook(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    ui.open_notebook(page, lab, "parallel.ipynb", CELLS)
    yield page
    ui.set_theme(page, "JupyterLab Light")
    context.close()


def _settled(page) -> None:
    """Wait until JupyterLab's theme-change splash is gone (a screenshot would show it)."""
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=30_000)


def _kernel_json(page, ui, source: str) -> dict:
    import json

    return json.loads(ui.run_cell_and_read(page, source, timeout=60_000).strip().splitlines()[-1])


def test_dragging_along_an_axis_selects_the_runs_inside_the_brush(notebook, ui):
    output = ui.cell_output(notebook, 2)
    brush = output.locator(".parcoords .axis-brush .background")
    brush.first.wait_for(timeout=90_000)
    labels = output.locator(".parcoords .axis-title").all_text_contents()  # SVG: no innerText
    assert labels[-1] == "val_acc" and "optimizer" in labels
    assert "lr (log)" in labels  # 1e-4 to 1e-1: a log axis
    ui.screenshot(output, "parallel_light")
    # Drag along the lr axis (a person's mouse: press, move in steps, release).
    box = brush.nth(labels.index("lr (log)")).bounding_box()
    x = box["x"] + box["width"] / 2
    notebook.mouse.move(x, box["y"] + box["height"] * 0.15)
    notebook.mouse.down()
    notebook.mouse.move(x, box["y"] + box["height"] * 0.55, steps=12)
    notebook.mouse.up()
    split = None
    for _ in range(30):  # the selection reaches the kernel through the widget's channel
        split = _kernel_json(notebook, ui, SPLIT)
        if split["n"]:
            break
    assert 0 < split["n"] < 50, split
    assert split["linked"], "the linked run table did not follow the brush"
    low, high = split["inside"]
    assert all(v < low or v > high for v in split["outside"]), split  # exactly the brushed band
    ui.screenshot(output, "parallel_brushed_light")
    ui.set_theme(notebook, "JupyterLab Dark")
    _settled(notebook)
    ui.screenshot(output, "parallel_dark")
    ui.set_theme(notebook, "JupyterLab Light")


def test_a_note_written_under_the_table_shows_rendered_in_the_comparison(notebook, ui):
    table = ui.cell_output(notebook, 1)
    table.locator(".lt-tr").first.click()
    panel = table.locator(".lt-run-note")
    panel.wait_for(timeout=30_000)
    panel.locator(".lt-note-edit").click()
    panel.locator("textarea").fill(
        "**Best lr** so far. See [the sweep notes](https://example.org/sweep)\n"
        "<img src=x onerror=\"document.title='pwned'\">"
    )
    panel.locator(".lt-note-save").click()
    panel.locator(".lt-markdown strong").wait_for(timeout=30_000)
    assert panel.locator(".lt-markdown strong").inner_text() == "Best lr"
    assert panel.locator("[onerror]").count() == 0
    ui.screenshot(table, "notes_table_light")
    ui.run_cell(
        notebook,
        "first = table.selected[0]\n"
        "other = [r for r in lt.search_runs()['run_id'] if r != first][0]\n"
        "lt.compare(first, other)",
    )
    compare = notebook.locator(".jp-Notebook .jp-CodeCell").last.locator(".jp-OutputArea")
    note = compare.locator(".lt-compare-note").first
    note.locator(".lt-markdown strong").wait_for(timeout=90_000)
    assert note.locator(".lt-markdown strong").inner_text() == "Best lr"
    link = note.locator(".lt-markdown a")
    assert link.get_attribute("href") == "https://example.org/sweep"
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    assert compare.locator("[onerror]").count() == 0
    assert notebook.title() != "pwned"
    ui.screenshot(compare, "notes_compare_light")
    ui.set_theme(notebook, "JupyterLab Dark")
    _settled(notebook)
    ui.screenshot(compare, "notes_compare_dark")
    ui.screenshot(table, "notes_table_dark")
    ui.set_theme(notebook, "JupyterLab Light")


def test_the_sidebar_run_details_show_and_edit_the_note(lab, browser, notebook, ui):
    import labtrack as lt

    client = lt.Client(lab["env"]["LABTRACK_TRACKING_URI"])
    (experiment,) = [e for e in client.search_experiments() if e.name == "parallel-e2e"]
    run = client.search_runs([experiment.experiment_id], order_by=["attributes.run_name"])[0]
    client.set_tag(
        run.info.run_id,
        "mlflow.note.content",
        "## Baseline\n<script>document.title='pwned'</script>",
    )
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{lab['url']}/lab?token={lab['token']}&reset")
    page.wait_for_function(
        "() => window.jupyterapp?.commands.hasCommand('labtrack:open-run')", timeout=90_000
    )
    page.evaluate(
        "(runId) => { window.jupyterapp.commands.execute('labtrack:open-run', {runId}); }",
        run.info.run_id,
    )
    section = page.locator(".jp-MainAreaWidget .lt-details .lt-details-note").last
    section.locator(".lt-markdown h2").wait_for(timeout=60_000)
    assert section.locator(".lt-markdown h2").inner_text() == "Baseline"
    assert section.locator("script").count() == 0 and page.title() != "pwned"
    section.locator(".lt-note-edit").click()
    section.locator("textarea").fill("Baseline: *keep* for the paper")
    section.locator("textarea").press("Control+Enter")
    section.locator(".lt-markdown em").wait_for(timeout=30_000)
    note = client.get_run(run.info.run_id).data.tags["mlflow.note.content"]
    assert note == "Baseline: *keep* for the paper"
    details = page.locator(".jp-MainAreaWidget .lt-details").last
    ui.screenshot(details, "notes_sidebar_light")
    ui.set_theme(page, "JupyterLab Dark")
    _settled(page)
    ui.screenshot(details, "notes_sidebar_dark")
    ui.set_theme(page, "JupyterLab Light")
    context.close()
