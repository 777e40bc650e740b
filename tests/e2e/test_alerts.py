"""Alerts in a real JupyterLab: a kernel logs ``lt.alert(...)`` and the labtrack extension
shows it once as a JupyterLab notification of its level, in the light and the dark theme,
with the labtrack panel closed.

Screenshots: ``artifacts-ci/screenshots/alerts_light.png`` and ``alerts_dark.png``.
"""

from __future__ import annotations

SETUP = """
import labtrack as lt
lt.set_experiment("alerts-e2e")
run = lt.start_run(run_name="training")
print("ready")
"""

TOAST = ".Toastify__toast"


def _wait_for_watcher(page) -> None:
    """The extension's watcher has taken its first look (so an alert logged now is new)."""
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some((e) => e.name.includes('/labtrack/api/alerts'))",
        timeout=60_000,
    )


def _level(toast) -> str:
    """The toast's type, as react-toastify (JupyterLab's notifications) marks it."""
    classes = toast.evaluate("(e) => e.className + ' ' + e.innerHTML.slice(0, 2000)")
    return next(
        kind
        for kind in ("error", "warning", "info")
        if f"--{kind}" in classes or f"-{kind}" in classes
    )


def _shown(toast) -> None:
    """Wait until the toast has slid in: whole on screen, its entrance animation over."""
    toast.page.wait_for_function(
        """(e) => e.getBoundingClientRect().right <= window.innerWidth
            && e.getAnimations({ subtree: true }).every((a) => a.playState !== 'running')""",
        arg=toast.element_handle(),
        timeout=30_000,
    )


def _toast(page, title: str):
    return page.locator(TOAST, has_text=title)


def test_an_alert_from_the_kernel_shows_once_as_a_notification(page, lab, ui):
    ui.open_notebook(page, lab, "alerts.ipynb", [SETUP])
    ui.cell_output(page, 0).get_by_text("ready").wait_for(timeout=90_000)
    _wait_for_watcher(page)
    run_id = ui.run_cell_and_read(page, "print(run.info.run_id)").strip()
    assert not page.locator("#labtrack-sidebar").is_visible()  # the panel is closed

    ui.run_cell(page, 'lt.alert("val_loss diverged", "val_loss = 3.5 at step 7", level="WARN")')
    warning = _toast(page, "val_loss diverged")
    warning.wait_for(timeout=30_000)
    # A toast closes itself after 15 s, unless hovered: on a loaded machine the checks below
    # can take longer than that.
    warning.hover()
    assert "val_loss = 3.5 at step 7" in warning.inner_text()
    assert _level(warning) == "warning"
    assert warning.get_by_role("button", name="Open run").count() == 1
    _shown(warning)
    ui.screenshot(page, "alerts_light")

    ui.set_theme(page, "JupyterLab Dark")
    try:
        ui.run_cell(page, 'lt.alert("training crashed", "CUDA out of memory", level="ERROR")')
        error = _toast(page, "training crashed")
        error.wait_for(timeout=30_000)
        assert _level(error) == "error"
        _shown(error)
        ui.screenshot(page, "alerts_dark")
        # The first alert was seen at an earlier look: it is not shown again.
        assert _toast(page, "val_loss diverged").count() <= 1
        # Its action opens the run's details in the main area.
        error.get_by_role("button", name="Open run").click()
        page.locator(f".jp-MainAreaWidget#labtrack-run-{run_id}").wait_for(timeout=30_000)
    finally:
        ui.set_theme(page, "JupyterLab Light")
