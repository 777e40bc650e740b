"""What a person sees, tested the way a person sees it: a chart that grows while runs log
(in the notebook's own kernel and in another process) without re-running its cell; the
widgets in JupyterLab's dark theme; and the quickstart notebook run in a real JupyterLab.

Screenshots go to ``artifacts-ci/screenshots/`` (dark_*.png, notebook_01_quickstart.png).
"""

from __future__ import annotations

import re
import shutil
import uuid

import pytest

import labtrack as lt

EXPERIMENT = "live-e2e"

LIVE_SETUP = f'''
import labtrack as lt
lt.set_experiment("{EXPERIMENT}")
with lt.start_run(run_name="finished"):
    for step in range(5):
        lt.log_metric("loss", 1 / (1 + step), step=step)
growing = lt.start_run(run_name="growing")  # left open: a training run still going on
for step in range(5):
    lt.log_metric("loss", 2 / (1 + step), step=step)
print("ready")
'''

# Plotly's own record of what it drew, for the chart in the index-th code cell; plus the
# number of trace groups in the SVG and whether the element carries the probe a test set.
TRACES = """(index) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[index];
  const plot = cell && cell.querySelector('.js-plotly-plot');
  if (!plot || !plot._fullData) return null;
  return {
    traces: plot._fullData.map((t) => ({ name: t.name, points: t.x ? t.x.length : 0 })),
    svgTraces: plot.querySelectorAll('.scatterlayer .trace').length,
    probe: plot.__ltProbe === true,
    live: !!cell.querySelector('.lt-live:not([hidden])'),
  };
}"""

WAIT_TRACES = """({ index, count, name, points }) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[index];
  const plot = cell && cell.querySelector('.js-plotly-plot');
  if (!plot || !plot._fullData) return false;
  const traces = plot._fullData;
  const drawn = plot.querySelectorAll('.scatterlayer .trace').length;
  if (count !== null && (traces.length < count || drawn < count)) return false;
  if (name !== null) {
    const trace = traces.find((t) => t.name === name);
    if (!trace || !trace.x || trace.x.length < points) return false;
  }
  return true;
}"""

EXECUTION_COUNT = (
    "(index) => window.jupyterapp.shell.currentWidget.content.widgets"
    ".filter((w) => w.model.type === 'code')[index].model.executionCount"
)


def _wait_traces(page, index, *, count=None, name=None, points=0, timeout=60_000):
    """Wait until the chart in the index-th code cell draws ``count`` traces and/or a trace
    ``name`` with ``points`` points; what it drew instead is in the failure message."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            WAIT_TRACES,
            arg={"index": index, "count": count, "name": name, "points": points},
            timeout=timeout,
        )
    except PlaywrightTimeout:
        raise AssertionError(
            f"after {timeout / 1000:.0f} s the chart still draws {page.evaluate(TRACES, index)},"
            f" not {count or 'the'} traces with {name!r} at {points} points"
        ) from None
    return page.evaluate(TRACES, index)


def _points(drawn, name):
    return next(t["points"] for t in drawn["traces"] if t["name"] == name)


@pytest.fixture(scope="module")
def live_notebook(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    ui.open_notebook(page, lab, "live.ipynb", [LIVE_SETUP, "chart = lt.chart('loss')\nchart"])
    drawn = _wait_traces(page, 1, count=2, name="growing", points=5, timeout=120_000)
    assert sorted(t["name"] for t in drawn["traces"]) == ["finished", "growing"]
    # Mark the drawn element: a re-run cell would replace it with one that has no mark.
    page.evaluate(
        "() => { document.querySelectorAll('.jp-Notebook .jp-CodeCell')[1]"
        ".querySelector('.js-plotly-plot').__ltProbe = true; }"
    )
    yield page
    context.close()


def test_chart_grows_while_the_kernel_logs_without_rerunning_its_cell(live_notebook, lab, ui):
    page = live_notebook
    ran = page.evaluate(EXECUTION_COUNT, 1)
    before = _points(page.evaluate(TRACES, 1), "growing")
    stop = lab["root"] / f"stop-{uuid.uuid4().hex}"
    # A training loop that keeps the kernel's main thread busy until the test says stop.
    ui.run_cell(
        page,
        f"""
import time
from pathlib import Path
step = {before}
while not Path({str(stop)!r}).exists() and step < 3000:
    lt.log_metric("loss", 2 / (1 + step), step=step)
    step += 1
    time.sleep(0.05)
print("logged", step)
""",
    )
    try:
        # Drawn while the loop still runs (it cannot end before the stop file exists).
        midway = _wait_traces(page, 1, name="growing", points=before + 10)
        assert (
            page.evaluate(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
            )
            == "busy"
        )
        assert midway["live"], "the chart's 'live' mark should show while a drawn run is running"
    finally:
        stop.touch()
    output = page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jp-OutputArea-output")
    output.first.wait_for(timeout=60_000)
    logged = int(re.search(r"logged (\d+)", output.first.inner_text()).group(1))
    drawn = _wait_traces(page, 1, name="growing", points=logged)
    assert _points(drawn, "growing") == logged  # every point, none twice
    assert drawn["probe"], "the chart was redrawn in place, not replaced by a re-run cell"
    assert page.evaluate(EXECUTION_COUNT, 1) == ran, "the chart cell must not have been re-run"
    ui.screenshot(ui.cell_output(page, 1), "live_chart_grown")


ANOTHER_PROCESS = f'''
import os, subprocess, sys
code = """
import labtrack as lt
lt.set_experiment({EXPERIMENT!r})
with lt.start_run(run_name="from another process"):
    for step in range(12):
        lt.log_metric("loss", 3 / (1 + step), step=step)
"""
assert os.environ["LABTRACK_TRACKING_URI"]  # the child finds the same store through it
done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
print("exit", done.returncode, done.stderr[-2000:])
'''


def test_chart_picks_up_a_run_another_process_logs(live_notebook, ui):
    page = live_notebook
    ran = page.evaluate(EXECUTION_COUNT, 1)
    before = page.evaluate(TRACES, 1)
    assert "from another process" not in [t["name"] for t in before["traces"]]
    answer = ui.run_cell_and_read(page, ANOTHER_PROCESS, timeout=300_000)
    assert answer.strip().startswith("exit 0"), answer
    drawn = _wait_traces(
        page, 1, count=len(before["traces"]) + 1, name="from another process", points=12
    )
    assert len(drawn["traces"]) == len(before["traces"]) + 1
    assert drawn["svgTraces"] == len(drawn["traces"])
    assert _points(drawn, "from another process") == 12
    assert drawn["probe"], "the chart was redrawn in place, not replaced by a re-run cell"
    assert page.evaluate(EXECUTION_COUNT, 1) == ran, "the chart cell must not have been re-run"


# ----------------------------------------------------------------------------- dark theme

THEME_SETUP = """
import labtrack as lt
lt.set_experiment("theme-e2e")
for name, lr in [("adam fast", 0.1), ("adam steady", 0.01), ("sgd slow", 0.001)]:
    with lt.start_run(run_name=name):
        lt.log_params({"lr": lr, "optimizer": name.split()[0]})
        for step in range(40):
            lt.log_metrics({"loss": 1 / (1 + step * lr * 10), "acc": 1 - 1 / (2 + step * lr * 5)}, step=step)
print("logged")
"""

THEME_CELLS = [
    THEME_SETUP,
    "lt.runs()",
    "lt.chart('loss')",
    "lt.scatter('params.lr', 'metrics.acc', color='metrics.loss', log_x=True)",  # a colour scale
    "lt.compare(*lt.search_runs(output_format='list')[:2])",
]
WIDGETS = {1: "runs_table", 2: "metric_chart", 3: "scatter", 4: "compare"}

# The colours a person sees in the index-th code cell's widget: its text, what shows behind
# it (every background up the tree, composited), each table cell, and Plotly's layout.
COLOURS = """(index) => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const pixel = () => { const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data; return [r, g, b, a / 255]; };
  // Any CSS colour (rgb(), color(srgb ...), #hex, names) as rgba(), by painting it.
  const rgba = (colour) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = pixel();
    return `rgba(${r}, ${g}, ${b}, ${a.toFixed(3)})`;
  };
  const style = (el) => getComputedStyle(el);
  // What shows behind el: every background up the tree, composited down to the first opaque one.
  const backdrop = (el) => {
    const layers = [];
    for (; el; el = el.parentElement) {
      const bg = style(el).backgroundColor;
      if (!bg) continue;
      layers.push(bg);
      if (rgba(bg).endsWith(', 1.000)')) break;
    }
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = 'rgb(255, 255, 255)';
    ctx.fillRect(0, 0, 1, 1);
    for (const bg of layers.reverse()) { ctx.fillStyle = bg; ctx.fillRect(0, 0, 1, 1); }
    const [r, g, b] = pixel();
    return `rgb(${r}, ${g}, ${b})`;
  };
  const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[index];
  const widget = cell.querySelector('.lt-widget');
  const out = { text: rgba(style(widget).color), backdrop: backdrop(widget), plots: [], cells: [] };
  // Every table cell and header on screen (the compare tables highlight some with a tint).
  for (const td of [...cell.querySelectorAll('.lt-td, .lt-th, td, th')].slice(0, 80)) {
    out.cells.push({ text: rgba(style(td).color), backdrop: backdrop(td), header: td.matches('.lt-th, th') });
  }
  for (const plot of cell.querySelectorAll('.js-plotly-plot')) {
    if (!plot._fullLayout) continue;
    const layout = plot._fullLayout;
    const tick = plot.querySelector('.xtick text, .tick text');
    // The colours data is drawn in: line and marker colours, every stop of a colour scale.
    const marks = [];
    const add = (c) => { if (typeof c === 'string') marks.push(rgba(c)); };
    const addScale = (scale) => { if (Array.isArray(scale)) scale.forEach(([, c]) => add(c)); };
    for (const t of plot._fullData) {
      if (t.type === 'parcoords') { addScale(t.line && t.line.colorscale); continue; }
      if ((t.mode || '').includes('lines') && t.line) add(t.line.color);
      if ((t.mode || '').includes('markers') && t.marker) {
        if (Array.isArray(t.marker.color)) addScale(t.marker.colorscale); else add(t.marker.color);
      }
    }
    out.plots.push({ marks,
      paper: rgba(layout.paper_bgcolor), font: rgba(layout.font.color), fontRaw: layout.font.color,
      tick: tick ? rgba(style(tick).fill) : null, backdrop: backdrop(plot),
    });
  }
  return out;
}"""


def _rgba(colour: str) -> tuple[float, float, float, float]:
    colour = colour.strip()
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        values = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
        return (*values[:3], values[3] / 255 if len(values) > 3 else 1.0)
    numbers = [float(n) for n in re.findall(r"[\d.]+", colour)]
    assert len(numbers) >= 3, f"not a colour: {colour!r}"
    return (*numbers[:3], numbers[3] if len(numbers) > 3 else 1.0)


def _over(colour: str, backdrop: str) -> tuple[float, float, float]:
    """``colour`` as seen on ``backdrop`` (alpha-blended)."""
    r, g, b, a = _rgba(colour)
    br, bg, bb, _ = _rgba(backdrop)
    return (r * a + br * (1 - a), g * a + bg * (1 - a), b * a + bb * (1 - a))


def _luminance(rgb) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of ``fg`` drawn on ``bg`` (1 to 21; 4.5 is readable text)."""
    back = _over(bg, "rgb(255, 255, 255)") if _rgba(bg)[3] < 1 else _rgba(bg)[:3]
    lighter, darker = sorted(
        [_luminance(_over(fg, f"rgb{tuple(back)}")), _luminance(back)], reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def _plot_background(plot: dict) -> str:
    """What shows behind Plotly's text: its paper, or through a transparent paper the page."""
    return plot["backdrop"] if _rgba(plot["paper"])[3] == 0 else plot["paper"]


def _assert_readable(colours: dict, theme: str, widget: str) -> None:
    where = f"{widget} in {theme}: {colours}"
    assert _contrast(colours["text"], colours["backdrop"]) >= 4.5, where
    for cell in colours["cells"]:
        # Body text 4.5:1 (WCAG AA); text in an accent or status colour (a best value in
        # green, the sorted column in blue: JupyterLab's own palette) 3:1, as for large text.
        least = 4.5 if cell["text"] == colours["text"] else 3.0
        assert _contrast(cell["text"], cell["backdrop"]) >= least, f"{cell} / {where}"
    for plot in colours["plots"]:
        background = _plot_background(plot)
        assert _contrast(plot["font"], background) >= 4.5, where
        if plot["tick"]:
            assert _contrast(plot["tick"], background) >= 3, where


@pytest.fixture(scope="module")
def theme_notebook(lab, browser, ui):
    # Tall enough that the comparison (tables, curves, parallel coordinates) fits on screen:
    # an element screenshot is clipped by JupyterLab's own scroll box.
    context = browser.new_context(viewport={"width": 1400, "height": 1700})
    page = context.new_page()
    ui.open_notebook(page, lab, "theme.ipynb", THEME_CELLS)
    yield page
    context.close()


def _wait_drawn(page, ui, index: int) -> None:
    output = ui.cell_output(page, index)
    if index == 1:
        output.locator(".lt-tr").first.wait_for(timeout=120_000)
    elif index == 4:
        output.locator(".lt-compare-table").first.wait_for(timeout=120_000)
    if index in (2, 3, 4):
        ui.wait_drawn(page, index)


def test_widgets_follow_the_dark_theme(theme_notebook, ui):
    page = theme_notebook
    ui.set_theme(page, "JupyterLab Light")
    light = {}
    for index, widget in WIDGETS.items():
        _wait_drawn(page, ui, index)
        light[index] = page.evaluate(COLOURS, index)
        _assert_readable(light[index], "light", widget)
        assert _luminance(_over(light[index]["backdrop"], "rgb(255,255,255)")) > 0.5, light[index]
    try:
        ui.set_theme(page, "JupyterLab Dark")
        # The charts redraw once they notice the switch: wait for Plotly's font colour to change.
        for index in (2, 3, 4):
            page.wait_for_function(
                """({ index, before }) => {
                    const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[index];
                    const plots = [...cell.querySelectorAll('.js-plotly-plot')].filter((p) => p._fullLayout);
                    return plots.length > 0 && plots.every((p) => p._fullLayout.font.color !== before);
                }""",
                arg={"index": index, "before": light[index]["plots"][0]["fontRaw"]},
                timeout=120_000,
            )
        for index, widget in WIDGETS.items():
            dark = page.evaluate(COLOURS, index)
            where = f"{widget}: light {light[index]} / dark {dark}"
            assert _luminance(_over(dark["backdrop"], "rgb(0,0,0)")) < 0.1, (
                where
            )  # a dark page behind it
            assert dark["text"] != light[index]["text"], where
            _assert_readable(dark, "dark", widget)
            for cell in dark["cells"]:  # the tables' own surfaces went dark too
                assert _luminance(_over(cell["backdrop"], "rgb(0,0,0)")) < 0.1, f"{cell} / {where}"
            for plot in dark["plots"]:
                assert _luminance(_over(_plot_background(plot), "rgb(0,0,0)")) < 0.1, (
                    where
                )  # no white chart
                # Lines and points stand out from the dark background (3:1, WCAG's bar for
                # graphics). Not asserted in light: Plotly's own colorway has yellow and cyan.
                for mark in plot["marks"]:
                    assert _contrast(mark, _plot_background(plot)) >= 3, (
                        f"drawn in {mark} / {where}"
                    )
            output = ui.cell_output(page, index)
            ui.screenshot(output, f"dark_{widget}")
    finally:
        ui.set_theme(page, "JupyterLab Light")  # the choice is saved in the session's lab


# ------------------------------------------------------------------- the demo notebook


def test_quickstart_notebook_runs_in_jupyterlab(lab, browser, ui):
    from playwright.sync_api import expect

    shutil.copy(ui.REPO / "notebooks" / "01_quickstart.ipynb", lab["root"] / "01_quickstart.ipynb")
    # The README shows this screenshot: tall enough for the run table and the scatter together.
    context = browser.new_context(viewport={"width": 1400, "height": 1260})
    page = context.new_page()
    try:
        ui.open_and_run_notebook(page, lab, "01_quickstart.ipynb")
        page.wait_for_function(
            "() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000
        )
        scatter = page.locator(".jp-Notebook .lt-scatter")
        scatter.locator(".js-plotly-plot .scatterlayer .point").first.wait_for(timeout=240_000)
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
            timeout=60_000,
        )

        client = lt.Client(lab["env"]["LABTRACK_TRACKING_URI"])
        experiment = client.get_experiment_by_name("quickstart-iris")
        runs = client.search_runs([experiment.experiment_id])
        assert len(runs) == 13  # the %%track run and the 3 x 4 grid

        errors = page.locator(
            '.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
        )
        assert errors.count() == 0, errors.all_inner_texts()
        unrun = page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.widgets"
            ".filter((w) => w.model.type === 'code' && !w.model.executionCount).length"
        )
        assert unrun == 0

        table = page.locator(".jp-Notebook .lt-runs")
        table.scroll_into_view_if_needed()
        expect(table.locator(".lt-tr")).to_have_count(len(runs), timeout=120_000)
        assert f"{len(runs)} runs" in table.locator(".lt-countline").inner_text()
        assert "svm C=1 rbf" in table.inner_text()

        scatter.scroll_into_view_if_needed()
        points = scatter.locator(".js-plotly-plot .scatterlayer .point")
        assert points.count() == len(runs)  # one per run
        drawn = scatter.locator(".js-plotly-plot").evaluate(
            "(p) => p._fullData.reduce((n, t) => n + t.x.length, 0)"
        )
        assert drawn == len(runs)

        # For the README: the notebook alone (no file browser full of test files), saved (no
        # "modified" dot), the run table at the top of the notebook area, the scatter below.
        page.evaluate("""() => {
            window.jupyterapp.shell.collapseLeft();
            window.jupyterapp.commands.execute('docmanager:save');
            window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0;
            document.activeElement?.blur();
        }""")
        page.wait_for_function(
            "() => !window.jupyterapp.shell.currentWidget.context.model.dirty"
            " && !document.querySelector('#jp-left-stack:not(.lm-mod-hidden)')",
            timeout=30_000,
        )
        table.evaluate("(el) => el.closest('.jp-CodeCell').scrollIntoView({ block: 'start' })")
        page.wait_for_function(
            "() => { const r = document.querySelector('.jp-Notebook .lt-runs').getBoundingClientRect();"
            " return r.top >= 0 && r.top < 300; }",
            timeout=30_000,
        )
        ui.screenshot(page, "notebook_01_quickstart")
    finally:
        context.close()
