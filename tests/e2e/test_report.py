"""The shareable report in headless Chromium, opened from file:// with every other request
refused: the run table sorts, the charts, scatter and parallel coordinates draw, notes are
sanitized Markdown, images show, nothing logs an error, in the light and the dark theme.

Screenshots go to ``artifacts-ci/screenshots/`` (report_light.png, report_dark.png). No
JupyterLab is needed: the report is a plain HTML file.
"""

from __future__ import annotations

import numpy as np
import pytest

import labtrack as lt

METRICS = ("loss", "val_acc", "val_loss")
HOSTILE_NAME = '</script><img src=x onerror="window.__pwned=1">'


@pytest.fixture
def report_file(tracking_uri, tmp_path):
    """The report of five runs (one with a hostile name), and the runs' ids by name."""
    lt.set_experiment("report-e2e")
    ids = {}
    rng = np.random.default_rng(0)
    for i, (lr, optimizer) in enumerate(
        [(0.1, "sgd"), (0.01, "adam"), (0.001, "adam"), (0.3, "sgd"), (0.03, "rmsprop")]
    ):
        name = HOSTILE_NAME if i == 4 else f"run-{i}"
        with lt.start_run(run_name=name) as run:
            ids[name] = run.info.run_id
            lt.log_params({"lr": lr, "optimizer": optimizer, "layers": 2 + i % 3})
            for step in range(200):
                decay = 1 / (1 + step * lr)
                lt.log_metrics(
                    {
                        "loss": decay + rng.normal(0, 0.02),
                        "val_loss": decay * 1.1 + rng.normal(0, 0.03),
                        "val_acc": 1 - decay / 2 + rng.normal(0, 0.01),
                    },
                    step=step,
                )
            if i < 3:
                lt.set_tag(
                    "mlflow.note.content",
                    f"**Run {i}**: lr *{lr}*\n\n- tried `{optimizer}`\n"
                    "<script>window.__pwned=1</script><img src=x onerror='window.__pwned=1'>",
                )
            gradient = np.linspace(0, 1, 64 * 64 * 3).reshape(64, 64, 3)
            lt.log_image(np.roll(gradient, i * 10, axis=1), key="samples", step=199)
    return lt.report("report-e2e", tmp_path / "report.html", metric="val_acc"), ids


def _open(page, path, scheme: str):
    """Open the report with the network blocked; returns (console errors, blocked URLs)."""
    errors: list[str] = []
    blocked: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(route):
        if route.request.url.startswith(("file://", "data:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.emulate_media(color_scheme=scheme)
    page.goto(path.resolve().as_uri())
    page.wait_for_function(
        "(n) => document.querySelectorAll('.lt-report-chart .main-svg').length >= n"
        " && document.querySelector('.lt-report-parallel .parcoords')"
        " && document.querySelector('.lt-report-scatter .scatterlayer .point')",
        arg=len(METRICS),
    )
    return errors, blocked


# Where the parallel coordinates draw the axis titled `label` (its brush area), in the page.
AXIS = r"""(label) => {
  for (const axis of document.querySelectorAll('.lt-report-parallel .parcoords .y-axis')) {
    const title = axis.querySelector('.axis-title');
    if (title && title.textContent.replace(/ \(log\)$/, '') === label) {
      const r = axis.querySelector('.axis-brush rect.background').getBoundingClientRect();
      return { x: r.x + r.width / 2, top: r.y, bottom: r.y + r.height };
    }
  }
  return null;
}"""


def _column(page, label: str) -> list[str]:
    return page.eval_on_selector_all(
        ".lt-report-runs tbody tr",
        """(rows, label) => {
          const heads = [...document.querySelectorAll('.lt-report-runs thead th')];
          const i = heads.findIndex((th) => th.textContent.replace(/[▲▼]/g, '').trim() === label);
          return rows.map((r) => r.children[i].getAttribute('title') || r.children[i].textContent);
        }""",
        label,
    )


def test_report_from_file_offline_in_both_themes(report_file, page, ui):
    path, run_ids = report_file
    errors, blocked = _open(page, path, "light")

    # every metric charted, as SVG, with one line per run
    charts = page.locator(".lt-report-grid .lt-report-chart")
    assert charts.count() == len(METRICS)
    assert charts.first.locator(".scatterlayer .trace").count() == 5

    # the table sorts by a header click: ascending, then descending
    sort = page.locator(".lt-report-runs thead th", has_text="val_acc").locator("button")
    sort.click()
    ascending = [float(v) for v in _column(page, "val_acc")]
    assert ascending == sorted(ascending) and len(ascending) == 5
    sort.click()
    assert [float(v) for v in _column(page, "val_acc")] == sorted(ascending, reverse=True)
    assert "descending" == page.locator(
        ".lt-report-runs thead th", has_text="val_acc"
    ).get_attribute("aria-sort")

    # user text stays text; notes are Markdown with the scripts and handlers removed
    assert page.locator(".lt-report-runs tbody td", has_text=HOSTILE_NAME).count() == 1
    assert page.locator(".lt-report-note").count() == 3
    assert page.locator(".lt-report-note strong", has_text="Run 0").count() == 1
    assert page.locator(".lt-report-note script, .lt-report-note img[onerror]").count() == 0
    assert page.evaluate("() => window.__pwned") is None

    # the best runs compared, and images inlined
    assert page.locator("#compare .lt-compare-table").count() == 2
    images = page.locator(".lt-report-image img")
    assert images.count() == 5
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lt-report-image img')]"
        ".every((img) => img.complete && img.naturalWidth === 64)"
    )
    assert page.evaluate("() => document.body.dataset.jpThemeLight") == "true"
    ui.screenshot(page.locator(".lt-report"), "report_light")

    # the reader's dark preference is followed, and the toggle switches back and forth
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 17, 17)"
    page.wait_for_function(
        "() => document.querySelector('.lt-report-chart .xtick text')"
        ".style.fill === 'rgb(170, 170, 170)'"
    )
    ui.screenshot(page.locator(".lt-report"), "report_dark")
    page.locator(".lt-theme-toggle").click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")

    # lr spans two decades: a log axis, 0.3 at its top and 0.1 a fifth of the way down; a
    # brush over its top tenth leaves the one run there in the table
    page.locator(".lt-report-parallel").scroll_into_view_if_needed()
    axis = page.evaluate(AXIS, "lr")
    page.mouse.move(axis["x"], axis["top"] + (axis["bottom"] - axis["top"]) * 0.1)
    page.mouse.down()
    page.mouse.move(axis["x"], axis["top"] - 20, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => document.querySelectorAll('.lt-report-runs tbody tr:not([hidden])').length === 1"
    )
    visible = page.locator(".lt-report-runs tbody tr:not([hidden])")
    assert visible.get_attribute("data-run-id") == run_ids["run-3"]
    assert page.locator(".lt-report-shown").inner_text() == (
        "1 of 5 runs inside the parallel coordinates' ranges."
    )

    assert errors == []
    assert blocked == []
