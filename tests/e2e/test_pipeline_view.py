"""lt.pipeline_view() and the sidebar's running pipelines in a real JupyterLab: while a step is
held running, the view shows it running (live) and the sidebar lists the pipeline; once it
ends, every step shows its status, and clicking a step shows its metrics and sets the step in
the kernel. Light and dark themes.

Screenshots go to ``artifacts-ci/screenshots/`` (pipeline_*.png).
"""

from __future__ import annotations

import pytest

SETUP = r'''
import textwrap, threading
from pathlib import Path
import labtrack as lt
from labtrack.pipelines import run_pipeline

project = Path("pipeline-e2e").resolve()
project.mkdir(exist_ok=True)
(project / "MLproject").write_text(textwrap.dedent("""
    name: steps
    entry_points:
      step:
        parameters: {value: {type: float, default: 0.5}, gate: {type: string, default: ""}}
        command: "python step.py {value} {gate}"
"""))
(project / "step.py").write_text(textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import labtrack as lt

    value, gate = float(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else "")
    deadline = time.monotonic() + 120
    while gate and not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    lt.log_metric("accuracy", value)
"""))
(project / "pipeline.yaml").write_text(textwrap.dedent("""
    name: <b>demo</b>
    parameters: {gate: {type: string, default: ""}}
    steps:
      prepare: {entry_point: step}
      train_a:
        entry_point: step
        needs: [prepare]
        parameters: {value: 0.91, gate: "${params.gate}"}
        metrics: [accuracy]
      train_b: {entry_point: step, needs: [prepare], parameters: {value: 0.87}, metrics: [accuracy]}
      evaluate: {entry_point: step, needs: [train_a, train_b], metrics: [accuracy]}
      register:
        entry_point: step
        needs: [evaluate]
        when: steps.evaluate.metrics.accuracy >= 0.9
"""))
gate = project / "open"
gate.unlink(missing_ok=True)
lt.set_experiment("pipelines-e2e")
results = []
worker = threading.Thread(
    target=lambda: results.append(run_pipeline(project / "pipeline.yaml", {"gate": str(gate)}))
)
worker.start()
import time
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    parents = lt.search_runs(filter_string="tags.labtrack.pipeline LIKE '%'", output_format="list")
    if parents:
        break
    time.sleep(0.1)
parent_id = parents[0].info.run_id
print("started", parent_id)
'''

CELLS = [SETUP, "view = lt.pipeline_view(parent_id)\nview"]

SHOWN = """() => {
  const widget = document.querySelector('.jp-Notebook .lt-pipeline');
  if (!widget) return null;
  const steps = [...widget.querySelectorAll('.lt-pipeline-step')];
  return {
    steps: Object.fromEntries(steps.map((s) => [s.getAttribute('data-step'),
      s.getAttribute('class').match(/lt-status-(\\S+)/)[1]])),
    live: !widget.querySelector('.lt-live').hidden,
    title: widget.querySelector('.lt-pipeline-title').textContent,
    details: widget.querySelector('.lt-pipeline-details').textContent,
    edges: widget.querySelectorAll('.lt-pipeline-edge').length,
    bold: widget.querySelectorAll('b').length,
    sidebar: [...document.querySelectorAll('.lt-sb-pipelines:not([hidden]) .lt-sb-row')]
      .map((r) => r.textContent),
  };
}"""


def _wait(page, condition: str, what: str, timeout=120_000):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            f"() => {{ const shown = ({SHOWN})(); return !!shown && ({condition}); }}",
            timeout=timeout,
        )
    except PlaywrightTimeout:
        raise AssertionError(
            f"{what}: after {timeout / 1000:.0f} s the page shows {page.evaluate(SHOWN)}"
        ) from None
    return page.evaluate(SHOWN)


@pytest.fixture(scope="module")
def pipeline_notebook(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    ui.open_notebook(page, lab, "pipeline_view.ipynb", CELLS)
    yield page
    context.close()


def test_a_running_pipeline_live_then_finished_and_a_step_clicked(pipeline_notebook, ui):
    page = pipeline_notebook
    page.evaluate("() => window.jupyterapp.shell.activateById('labtrack-sidebar')")
    shown = _wait(
        page,
        "shown.steps.train_a === 'running' && shown.steps.train_b === 'finished'"
        " && shown.sidebar.length === 1 && shown.sidebar[0].includes('2/5 steps done')",
        "train_a held running, train_b done, the pipeline in the sidebar",
    )
    assert shown["live"] and shown["edges"] == 5
    assert shown["steps"]["evaluate"] == "pending"
    assert shown["sidebar"][0].endswith("2/5 steps done · running train_a")
    assert shown["bold"] == 0 and "<b>demo</b>" in shown["title"]  # user text stays text
    ui.screenshot(ui.cell_output(page, 1), "pipeline_running_light")
    ui.screenshot(page.locator("#labtrack-sidebar"), "pipeline_sidebar_light")

    ui.run_cell_and_read(
        page, "gate.write_text(''); worker.join(120); print(results[0].status)", timeout=150_000
    )
    shown = _wait(page, "!shown.live && shown.sidebar.length === 0", "the pipeline's end")
    assert shown["steps"] == {
        "prepare": "finished",
        "train_a": "finished",
        "train_b": "finished",
        "evaluate": "finished",
        "register": "skipped",  # evaluate logged 0.5 < 0.9
    }
    ui.cell_output(page, 1).locator('.lt-pipeline-step[data-step="train_a"]').click()
    shown = _wait(page, "shown.details.includes('accuracy')", "train_a's details")
    assert "0.91" in shown["details"]
    assert ui.run_cell_and_read(page, "print(view.step)").strip() == "train_a"
    ui.screenshot(ui.cell_output(page, 1), "pipeline_done_light")


def test_the_view_in_the_dark_theme(pipeline_notebook, ui):
    page = pipeline_notebook
    ui.set_theme(page, "JupyterLab Dark")
    try:
        fill = page.evaluate(
            "() => getComputedStyle(document.querySelector('.lt-pipeline-box')).fill"
        )
        assert fill not in ("rgb(238, 238, 238)", "rgb(255, 255, 255)"), fill
        ui.screenshot(ui.cell_output(page, 1), "pipeline_done_dark")
    finally:
        ui.set_theme(page, "JupyterLab Light")
