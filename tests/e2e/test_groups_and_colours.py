"""Run groups and stable colours in a real JupyterLab: a grouped chart (a mean line and a
min-max band per group), a grouped table (a header row per group), and one run drawn in one
colour by the table, the chart, the scatter and the comparison, in the light and dark themes.

Screenshots go to ``artifacts-ci/screenshots/`` (groups_*.png).
"""

from __future__ import annotations

import pytest

SETUP = """
import labtrack as lt
lt.set_experiment("groups-e2e")
for name, optimizer, lr in [("adam a", "adam", 0.1), ("adam b", "adam", 0.05), ("adam c", "adam", 0.02),
                            ("sgd a", "sgd", 0.01), ("sgd b", "sgd", 0.005)]:
    with lt.start_run(run_name=name, group=optimizer):
        lt.log_params({"lr": lr, "optimizer": optimizer})
        for step in range(30):
            lt.log_metrics({"loss": 1 / (1 + step * lr * 10), "acc": 1 - 1 / (2 + step * lr * 5)}, step=step)
print("logged")
"""

CELLS = [
    SETUP,
    "lt.runs(group_by='tags.labtrack.group',\n"
    "        columns=['run_name', 'status', 'metrics.loss', 'metrics.acc', 'params.lr'])",
    "lt.chart('loss', group_by='tags.labtrack.group')",
    "lt.chart('loss')",
    "lt.scatter('params.lr', 'metrics.acc', log_x=True)",
    "lt.compare(*lt.search_runs(output_format='list')[:2], metric='loss')",
]
TABLE, GROUPED_CHART, CHART, SCATTER, COMPARE = 1, 2, 3, 4, 5

# Everything drawn: the grouped table's rows, each plot's traces, the comparison's headers.
READY = """() => {
  const cells = document.querySelectorAll('.jp-Notebook .jp-CodeCell');
  if (cells.length < 6) return false;
  const plotted = (i) => {
    const p = cells[i].querySelector('.js-plotly-plot');
    return !!(p && p._fullData && p._fullData.length);
  };
  return cells[1].querySelectorAll('.lt-tr').length === 7 && plotted(2) && plotted(3) && plotted(4)
    && plotted(5) && cells[5].querySelectorAll('thead .lt-swatch').length >= 2;
}"""

# The colour each widget gives each run of the comparison, read from what it drew.
COLOURS = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const plot = (i) => cells[i].querySelector('.js-plotly-plot');
  const heads = [...cells[5].querySelectorAll('thead th')].filter((th) => th.querySelector('.lt-run-name'));
  const runs = heads.slice(0, heads.length / 2 || heads.length);  // params table's header
  return runs.map((th) => {
    const name = th.querySelector('.lt-run-name').textContent;
    const row = [...cells[1].querySelectorAll('.lt-tr:not(.lt-group-row)')]
      .find((tr) => tr.querySelector('.lt-td').textContent === name);
    const line = (p) => { const t = p._fullData.find((t) => t.name === name); return t ? t.line.color : null; };
    let point = null;
    for (const t of plot(4)._fullData) {
      const i = (t.customdata || []).findIndex((d) => d[1] === name);
      if (i >= 0) point = Array.isArray(t.marker.color) ? t.marker.color[i] : t.marker.color;
    }
    return {
      name,
      compare: th.querySelector('.lt-swatch').dataset.color,
      table: row ? row.querySelector('.lt-swatch').dataset.color : null,
      chart: line(plot(3)),
      scatter: point,
      compareCurve: line(plot(5)),
    };
  });
}"""

GROUPS = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const data = cells[2].querySelector('.js-plotly-plot')._fullData;
  return {
    lines: data.filter((t) => t.showlegend).map((t) => ({ name: t.name, color: t.line.color })),
    bands: data.filter((t) => t.fill === 'tonexty').map((t) => t.legendgroup),
    headers: [...cells[1].querySelectorAll('.lt-group-row')].map((r) => ({
      text: r.querySelector('.lt-td').textContent,
      color: r.querySelector('.lt-swatch').dataset.color,
      cells: [...r.querySelectorAll('.lt-td')].map((c) => c.textContent),
    })),
    count: cells[1].querySelector('.lt-countline').textContent,
  };
}"""


@pytest.fixture(scope="module")
def notebook(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 2400})
    page = context.new_page()
    ui.open_notebook(page, lab, "groups.ipynb", CELLS)
    page.wait_for_function(READY, timeout=180_000)
    yield page
    context.close()


def _check(page, ui, theme: str) -> None:
    groups = page.evaluate(GROUPS)
    assert [line["name"] for line in groups["lines"]] == ["adam (3 runs)", "sgd (2 runs)"], groups
    assert sorted(groups["bands"]) == ["adam", "sgd"], groups  # a min-max band per group
    assert [h["text"] for h in groups["headers"]] == ["▾adam · 3", "▾sgd · 2"], groups
    by_name = {line["name"].split()[0]: line["color"] for line in groups["lines"]}
    for header in groups["headers"]:  # a group has one colour in the table and the chart
        assert header["color"] == by_name[header["text"][1:].split()[0]], groups
    assert all(" – " in cell for cell in groups["headers"][0]["cells"][2:4]), groups  # min – max
    assert groups["count"] == "5 runs in 2 groups", groups

    colours = page.evaluate(COLOURS)
    assert len(colours) == 2, colours
    for run in colours:
        seen = {run[w] for w in ("compare", "table", "chart", "scatter", "compareCurve")}
        assert len(seen) == 1 and None not in seen, f"{theme}: one run, one colour: {run}"
    for index, name in [(TABLE, "table"), (GROUPED_CHART, "chart"), (COMPARE, "compare")]:
        ui.screenshot(ui.cell_output(page, index), f"groups_{name}_{theme}")


def test_groups_and_one_colour_per_run_in_light_and_dark(notebook, ui):
    page = notebook
    _check(page, ui, "light")
    fonts = "() => [...document.querySelectorAll('.jp-Notebook .js-plotly-plot')].map((p) => p._fullLayout?.font.color)"
    light_fonts = page.evaluate(fonts)
    ui.set_theme(page, "JupyterLab Dark")
    try:
        # Widgets redraw for the theme: wait until no chart wears a font colour of the light one.
        page.wait_for_function(
            f"(light) => ({fonts})().every((color) => color && !light.includes(color))",
            arg=light_fonts,
            timeout=120_000,
        )
        _check(page, ui, "dark")
    finally:
        ui.set_theme(page, "JupyterLab Light")
