"""labtrack in JupyterLab against a team's tracking server: JupyterLab runs with
``LABTRACK_TRACKING_URI=http://...`` of a ``labtrack server`` this module starts, so its
kernels, its labtrack sidebar and every process they start use the store over HTTP.

The sidebar tests (test_sidebar.py) and the live chart tests (test_widgets_live_and_theme.py)
run here again, unchanged, against that server: this module's ``lab`` fixture replaces the
session's SQLite one for them. Then a model a notebook cell trains and registers over HTTP is
promoted from the sidebar and loaded back in the kernel by its alias.

Screenshots go to ``artifacts-ci/screenshots/http_*.png``.
"""

from __future__ import annotations

import contextlib
import shutil
import types

import pytest

import labtrack as lt

from ..tracking_server.conftest import start_server, stop_server
from . import test_sidebar as sidebar_tests
from . import test_widgets_live_and_theme as live_tests

# Their fixtures and tests, run here against the server in their own order (each builds on
# the one before: the sidebar's promote, then alias, then the details that show both).
store = sidebar_tests.store
sidebar = sidebar_tests.sidebar
test_the_panel_lists_models_and_experiments = (
    sidebar_tests.test_the_panel_lists_models_and_experiments
)
test_expanding_a_model_shows_its_versions = sidebar_tests.test_expanding_a_model_shows_its_versions
test_promoting_a_version_to_production_updates_the_badge_and_the_store = (
    sidebar_tests.test_promoting_a_version_to_production_updates_the_badge_and_the_store
)
test_setting_an_alias_from_the_dialog = sidebar_tests.test_setting_an_alias_from_the_dialog
test_archiving_asks_first_then_archives = sidebar_tests.test_archiving_asks_first_then_archives
test_the_panel_follows_changes_made_elsewhere = (
    sidebar_tests.test_the_panel_follows_changes_made_elsewhere
)


test_opening_a_version_shows_its_details_and_history = (
    sidebar_tests.test_opening_a_version_shows_its_details_and_history
)


test_opening_a_run_shows_params_and_metrics = (
    sidebar_tests.test_opening_a_run_shows_params_and_metrics
)
live_notebook = live_tests.live_notebook
test_chart_grows_while_the_kernel_logs_without_rerunning_its_cell = (
    live_tests.test_chart_grows_while_the_kernel_logs_without_rerunning_its_cell
)
test_chart_picks_up_a_run_another_process_logs = (
    live_tests.test_chart_picks_up_a_run_another_process_logs
)

MODEL = "team-svm"

TRAIN_AND_REGISTER = f"""
import labtrack as lt
from sklearn.datasets import load_iris
from sklearn.svm import SVC

assert lt.get_tracking_uri().startswith("http://"), lt.get_tracking_uri()
lt.set_experiment("team-training")
X, y = load_iris(return_X_y=True)
for C in (0.01, 10.0):
    with lt.start_run(run_name=f"svm C={{C}}"):
        lt.log_param("C", C)
        model = SVC(C=C).fit(X, y)
        lt.log_metric("accuracy", model.score(X, y))
        lt.log_model(model, "model", input_example=X[:2], registered_model_name={MODEL!r})
print("registered")
"""


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    """``labtrack server`` on a new store, with its artifacts in a folder of its own."""
    server = start_server(tmp_path_factory.mktemp("team-server"))
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def ui(ui):
    """The harness, naming this module's screenshots ``http_*``: the reused tests' shots of
    the local store keep their own names."""
    harness = types.SimpleNamespace(**vars(ui))
    harness.screenshot = lambda target, name: ui.screenshot(target, f"http_{name}")
    return harness


@pytest.fixture(scope="module")
def lab(tmp_path_factory, team_server, ui):
    """JupyterLab whose kernels and sidebar use the server (replaces the session's ``lab``)."""
    with ui.running_lab(tmp_path_factory.mktemp("team-lab"), store_uri=team_server.url) as handle:
        yield handle


def test_a_model_registered_over_http_is_promoted_in_the_sidebar_and_loaded_by_alias(
    lab, browser, team_server, ui
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        ui.open_notebook(page, lab, "team.ipynb", [TRAIN_AND_REGISTER])
        output = ui.cell_output(page, 0).locator(".jp-OutputArea-output").first
        output.wait_for(timeout=180_000)
        assert output.inner_text().strip() == "registered", output.inner_text()
        server = lt.Client(team_server.url)
        versions = server.search_model_versions(f"name = '{MODEL}'")
        assert sorted(v.version for v in versions) == [1, 2]

        page.locator(sidebar_tests.SIDEBAR_TAB).click(timeout=30_000)
        model = page.locator("#labtrack-sidebar .lt-sb-model", has_text=MODEL).first
        version = sidebar_tests._version  # a version's row, under the model's element
        model.locator(".lt-sb-row").first.click(timeout=30_000)
        version(model, 2).wait_for(timeout=60_000)
        assert version(model, 1).is_visible()
        assert "run svm C=10.0" in version(model, 2).inner_text()  # its source run, by name

        # A stage, then an alias: the dialog promotes to one or the other.
        promote = version(model, 2).get_by_role("button", name=f"promote {MODEL} version 2")
        badges = version(model, 2).locator(".lt-sb-badge")
        promote.click()
        page.locator(".jp-Dialog").get_by_label("Stage: Production").check()
        page.locator(".jp-Dialog").get_by_role("button", name="Promote").click()
        expect(badges.filter(has_text="Production")).to_be_visible(timeout=60_000)
        promote.click()
        page.locator(".jp-Dialog").get_by_label("alias name").fill("champion")
        page.locator(".jp-Dialog").get_by_role("button", name="Promote").click()
        expect(badges.filter(has_text="@champion")).to_be_visible(timeout=60_000)
        assert server.get_model_version_by_alias(MODEL, "champion").version == 2
        assert server.get_model_version(MODEL, 2).current_stage == "Production"

        # The kernel loads what the sidebar promoted, its files through the server's proxy.
        answer = ui.run_cell_and_read(
            page,
            f"print(lt.load_model('models:/{MODEL}@champion').predict(X[[0, 50, 100]]).tolist())",
            timeout=120_000,
        )
        assert answer.strip() == "[0, 1, 2]", answer
        ui.screenshot(page, "sidebar_notebook_model_promoted")
        assert errors == []
    finally:
        context.close()


# The notebook's code cells: which one shows the chart, which the run table.
TEAMS_NOTEBOOK_CHART, TEAMS_NOTEBOOK_TABLE = 2, 6

# The chart in the index-th code cell draws 4 lines (2 runs x 2 metrics) of 30 points, not live.
ALL_DRAWN = """(index) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[index];
  const plot = cell && cell.querySelector('.js-plotly-plot');
  return !!plot && !!plot._fullData && plot._fullData.length === 4
    && plot._fullData.every((t) => t.x && t.x.length === 30)
    && !cell.querySelector('.lt-live:not([hidden])');
}"""

NOTEBOOK_DONE = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const error = document.querySelector(
    '.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]');
  return !!error || (cells.length > 0 && cells.at(-1).innerText.includes('server stopped'));
}"""


def test_the_teams_demo_notebook_runs_in_jupyterlab(lab, browser, ui):
    """notebooks/06_teams.ipynb, as `bash .ci/start` opens it: its own server, its widgets drawn."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    shutil.copy(ui.REPO / "notebooks" / "06_teams.ipynb", lab["root"] / "06_teams.ipynb")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        ui.open_and_run_notebook(page, lab, "06_teams.ipynb")
        page.wait_for_function(NOTEBOOK_DONE, timeout=300_000)
        errors = page.locator(
            '.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
        )
        assert errors.count() == 0, errors.all_inner_texts()

        names = {"sgd alpha=0.01", "sgd alpha=0.0001"}
        # The widgets redraw a moment after their state arrives: wait for the finished runs'
        # every point, then say what is drawn if it is not that.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(ALL_DRAWN, arg=TEAMS_NOTEBOOK_CHART, timeout=60_000)
        drawn = page.evaluate(live_tests.TRACES, TEAMS_NOTEBOOK_CHART)
        assert sorted((t["name"], t["points"]) for t in drawn["traces"]) == sorted(
            (name, 30) for name in names for _metric in ("val_accuracy", "loss")
        ), drawn
        assert not drawn["live"], drawn  # both runs finished
        table = ui.cell_output(page, TEAMS_NOTEBOOK_TABLE).locator(".lt-runs")
        table.locator(".lt-tr").nth(1).wait_for(timeout=60_000)
        assert table.locator(".lt-tr").count() == 2
        assert all(name in table.inner_text() for name in names)
        ui.cell_output(page, TEAMS_NOTEBOOK_CHART).evaluate(
            "(el) => el.closest('.jp-CodeCell').scrollIntoView({ block: 'start' })"
        )
        ui.screenshot(page, "notebook_06_teams")
    finally:
        context.close()
