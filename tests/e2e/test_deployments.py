"""Deployments in a real JupyterLab: the sidebar lists a `labtrack serve` process and a notebook's
background server with their health, model version and traffic; "Stop" stops the first and is
refused (the reason shown) for the second; lt.monitor() on traffic that drifts at a known hour
draws its chart with the drifted windows marked. Light and dark themes, one JupyterLab.

Screenshots go to ``artifacts-ci/screenshots/`` (deployments_*.png, monitor_*.png).
"""

from __future__ import annotations

import pytest

SETUP = r"""
import json, os, subprocess, sys, time, urllib.request
import numpy as np, pandas as pd
import labtrack as lt
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

os.environ["LABTRACK_DEPLOYMENT_INTERVAL"] = "1"  # traffic metrics every second
X, y = load_iris(return_X_y=True, as_frame=True)
lt.set_experiment("deploy-e2e")
with lt.start_run(run_name="train"):
    model = LogisticRegression(max_iter=500).fit(X, y)
    info = lt.log_model(model, "model", input_example=X.head(2), registered_model_name="iris")
lt.Client().set_registered_model_alias("iris", "champion", info.registered_model_version)

server = subprocess.Popen(
    [sys.executable, "-m", "labtrack.cli", "serve", "models:/iris@champion",
     "--deployment", "iris-prod", "--port", "0"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
canary = lt.serve("models:/iris@champion", deployment="iris-canary", background=True, port=0,
                  log_predictions=True)

def deployment(name):
    table = lt.deployments().set_index("name")
    return table.loc[name] if name in table.index else None

deadline = time.monotonic() + 180
while time.monotonic() < deadline:
    prod = deployment("iris-prod")
    if prod is not None and prod.status == "RUNNING" and prod.url:
        break
    time.sleep(0.2)

def post(url, rows):
    body = json.dumps({"dataframe_split": rows.to_dict(orient="split")}).encode()
    request = urllib.request.Request(url + "/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return response.headers["X-Request-Id"], json.loads(response.read())["predictions"]

for i in range(3):
    post(prod.url, X.iloc[i : i + 1])
while time.monotonic() < deadline and deployment("iris-prod").requests < 3:
    time.sleep(0.2)
print("deployed", deployment("iris-prod").requests)
"""

MONITOR = r"""
from labtrack.production.predictions import PredictionLog, log_feedback

# Six past hours of traffic replayed into the canary's run; petal length shifts from hour 3.
run_id = deployment("iris-canary").run_id
start = pd.Timestamp.now(tz="UTC").floor("h") - pd.Timedelta(hours=6)
labels = []
with PredictionLog(lt.Client(), run_id) as log:
    for hour in range(6):
        rows = X.sample(50, replace=True, random_state=hour)
        truth = y.loc[rows.index].to_numpy()
        rows = rows.reset_index(drop=True)
        if hour >= 3:
            rows["petal length (cm)"] += 2.5
        for i in range(len(rows)):
            rid = f"replay-{hour}-{i}"
            at = start + pd.Timedelta(hours=hour, seconds=60 * i)
            log.record(rid, rows.iloc[i : i + 1], model.predict(rows.iloc[i : i + 1]), 1.0,
                       timestamp_ms=int(at.timestamp() * 1000))
            labels.append((rid, int(truth[i])))
log_feedback(lt.Client(), run_id, labels)
m = lt.monitor("iris-canary", reference=X, window="1h")
print(m)
"""

CELLS = [SETUP, MONITOR, "m"]

SIDEBAR = """() => [...document.querySelectorAll('.lt-sb-deployments:not([hidden]) .lt-sb-deployment')]
  .map((item) => ({
    name: item.querySelector('.lt-sb-name').textContent,
    health: item.querySelector('.lt-sb-row').dataset.health,
    model: item.querySelector('.lt-sb-badge-model').textContent,
    meta: item.querySelector('.lt-sb-meta').textContent,
    stop: !!item.querySelector('.lt-sb-stop'),
    error: item.querySelector('.lt-sb-error')?.textContent ?? '',
  }))"""

CHART = """() => {
  const widget = document.querySelector('.jp-Notebook .lt-monitor');
  if (!widget) return null;
  return {
    drifted: Number(widget.dataset.drifted),
    summary: widget.querySelector('.lt-monitor-summary').textContent,
    drawn: !!widget.querySelector('.main-svg'),
    traces: widget.querySelectorAll('.scatterlayer .trace').length,
    shaded: widget.querySelectorAll('.layer-below .shapelayer path').length,
    legend: [...widget.querySelectorAll('.legendtext')].map((t) => t.textContent),
    label: widget.querySelector('.annotation-text')?.getAttribute('style') ?? '',
  };
}"""


def _wait(page, script: str, condition: str, what: str, timeout=120_000):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            f"() => {{ const shown = ({script})(); return !!shown && ({condition}); }}",
            timeout=timeout,
        )
    except PlaywrightTimeout:
        raise AssertionError(
            f"{what}: after {timeout / 1000:.0f} s the page shows {page.evaluate(script)}"
        ) from None
    return page.evaluate(script)


def _by_name(shown: list[dict]) -> dict[str, dict]:
    return {d["name"]: d for d in shown}


@pytest.fixture(scope="module")
def deployed(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    ui.open_notebook(page, lab, "deployments.ipynb", CELLS)
    page.evaluate("() => window.jupyterapp.shell.activateById('labtrack-sidebar')")
    yield page
    # Whatever a failure left running: the served process and the notebook's server.
    ui.run_cell_and_read(page, "server.kill(); canary.stop(); print('cleaned')")
    context.close()


def test_the_monitor_chart_marks_the_drift_from_the_hour_it_began(deployed, ui):
    page = deployed
    shown = _wait(page, CHART, "shown.drawn && shown.drifted > 0", "the drift chart", 180_000)
    assert shown["summary"].startswith("4 features · ")
    assert "petal length (cm)" in shown["summary"]
    assert shown["shaded"] == shown["drifted"]  # one shaded band per drifted window
    assert {"petal length (cm)", "prediction", "drifted", "live accuracy"} <= set(shown["legend"])
    # The kernel agrees: drift begins in the fourth of the six replayed hours, none before.
    first = ui.run_cell_and_read(
        page, "print(int((m.drifted_windows()['window_start'].min() - start) / pd.Timedelta('1h')))"
    )
    assert first.strip() == "3"
    ui.screenshot(ui.cell_output(page, 2), "monitor_chart_light")


def test_the_sidebar_shows_health_version_and_traffic(deployed, ui):
    page = deployed
    shown = _wait(
        page,
        SIDEBAR,
        "shown.length === 2 && shown.every((d) => d.health === 'live')"
        " && shown.some((d) => d.meta.includes('3 requests'))",
        "both deployments live, iris-prod's three requests counted",
    )
    prod, canary = _by_name(shown)["iris-prod"], _by_name(shown)["iris-canary"]
    assert prod["model"] == "iris v1" and canary["model"] == "iris v1"
    assert prod["meta"].startswith("live · 3 requests · seen ") and "this machine" in prod["meta"]
    assert prod["stop"] and canary["stop"]  # both local and live: the route decides
    ui.screenshot(page.locator("#labtrack-sidebar"), "deployments_sidebar_light")


def _stop(page, name: str) -> None:
    page.locator(f'.lt-sb-stop[aria-label="stop deployment {name}"]').click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    assert f"Stop deployment {name}?" in dialog.inner_text()
    dialog.locator("button.jp-mod-warn").click()


def test_stop_is_refused_for_a_notebooks_server_and_stops_labtrack_serve(deployed, ui):
    page = deployed
    _stop(page, "iris-canary")
    shown = _wait(
        page,
        SIDEBAR,
        "shown.some((d) => d.name === 'iris-canary' && d.error)",
        "the refusal under iris-canary",
    )
    canary = _by_name(shown)["iris-canary"]
    assert "not `labtrack serve`" in canary["error"] and canary["health"] == "live"

    _stop(page, "iris-prod")
    shown = _wait(
        page,
        SIDEBAR,
        "shown.some((d) => d.name === 'iris-prod' && d.health === 'stopped' && !d.stop)",
        "iris-prod stopped",
    )
    code = ui.run_cell_and_read(
        page, "print(server.wait(30), deployment('iris-prod').status)", timeout=90_000
    )
    assert code.split()[-1] == "STOPPED"
    ui.screenshot(page.locator("#labtrack-sidebar"), "deployments_stopped_light")


def test_chart_and_sidebar_in_the_dark_theme(deployed, ui):
    page = deployed
    ui.set_theme(page, "JupyterLab Dark")
    try:
        # The threshold labels follow the theme's muted text colour (light on dark).
        # Plotly always writes the fill: wait for a light one, which only the redraw brings.
        light_label = (
            "((m) => !!m && (+m[1] + +m[2] + +m[3]) / 3 > 128)"
            "(shown.label.match(/fill: rgb\\((\\d+), (\\d+), (\\d+)\\)/))"
        )
        shown = _wait(page, CHART, light_label, "the chart redrawn in the dark theme")
        rgb = [int(v) for v in shown["label"].split("fill: rgb(")[1].split(")")[0].split(",")]
        assert sum(rgb) / 3 > 128, shown["label"]
        dot = page.evaluate(
            "() => getComputedStyle(document.querySelector('.lt-sb-health-live')).backgroundColor"
        )
        assert dot not in ("rgba(0, 0, 0, 0)", ""), dot
        ui.screenshot(ui.cell_output(page, 2), "monitor_chart_dark")
        ui.screenshot(page.locator("#labtrack-sidebar"), "deployments_sidebar_dark")
    finally:
        ui.set_theme(page, "JupyterLab Light")
