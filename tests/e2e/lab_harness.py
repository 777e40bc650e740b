"""Driving a real JupyterLab on loopback with headless Chromium, as a person would.

Used by the browser tests (conftest.py) and by bench/browser.py. Screenshots go to
``artifacts-ci/screenshots/`` (git-ignored; CI keeps it).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import urllib.request
import weakref
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The tests' shared helpers; appended, so the tests' folders never shadow installed packages.
sys.path.append(str(REPO / "tests"))
from ports import free_port  # noqa: E402
from waiting import wait_until  # noqa: E402

SCREENSHOTS = REPO / "artifacts-ci" / "screenshots"
_LABS: list[dict] = []  # the labs running_lab has up, which shut_down_kernels reaches
CHROMIUM = os.environ.get("LABTRACK_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def running_lab(root: Path, store_uri: str | None = None):
    """JupyterLab serving ``root``, with labtrack's store there (or at ``store_uri``).
    Yields a handle: url, token, root, env."""
    settings = root / ".settings"
    notifications = settings / "@jupyterlab" / "apputils-extension"
    notifications.mkdir(parents=True)
    (notifications / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"})
    )
    # Render every cell: a windowed notebook detaches off-screen outputs while tests wait on them.
    notebook_settings = settings / "@jupyterlab" / "notebook-extension"
    notebook_settings.mkdir(parents=True)
    (notebook_settings / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    # The kernel must be this interpreter (the one labtrack is installed in), whatever other
    # "python3" kernels the machine has: a kernelspec first on JUPYTER_PATH says so.
    kernel = root / ".jupyter-data" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            }
        )
    )
    # labtrack's sidebar and its server extension as built in this checkout (npm run build),
    # whether or not the package is installed: the lead runs tests with PYTHONPATH=src.
    built = REPO / "src" / "labtrack" / "labextension"
    if built.is_dir():
        extensions = root / ".jupyter-data" / "labextensions"
        extensions.mkdir(parents=True)
        (extensions / "labtrack").symlink_to(built, target_is_directory=True)
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_PATH": os.pathsep.join(
            filter(None, [str(root / ".jupyter-data"), os.environ.get("JUPYTER_PATH")])
        ),
        "JUPYTER_CONFIG_PATH": os.pathsep.join(
            filter(None, [str(REPO / "jupyter-config"), os.environ.get("JUPYTER_CONFIG_PATH")])
        ),
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
        "LABTRACK_TRACKING_URI": store_uri or f"sqlite:///{root / 'store' / 'labtrack.db'}",
        "LABTRACK_HOME": str(root / "home"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"),
    }
    log = open(root / "lab.log", "w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as response:
                return response.status == 200
        except OSError:
            return process.poll() is not None  # stop waiting if it died

    try:
        wait_until(up, 120, "JupyterLab to start", interval=0.2)
        if process.poll() is not None:
            raise RuntimeError((root / "lab.log").read_text())
        handle = {"url": url, "token": token, "root": root, "env": env}
        _LABS.append(handle)
        yield handle
    finally:
        _LABS[:] = [lab for lab in _LABS if lab["url"] != url]
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _server_api(lab, method: str, path: str):
    """Call the Jupyter server's REST API of ``lab``; the JSON answer (None when empty)."""
    request = urllib.request.Request(
        f"{lab['url']}{path}", method=method, headers={"Authorization": f"token {lab['token']}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return json.loads(body) if body else None


def shut_down_kernels() -> None:
    """Shut down every kernel of the labs running_lab has up, with their notebooks' sessions.
    A kernel outlives the page that opened its notebook, and its widgets go on polling the
    store: left alone, the browser tests of a CI run end with a dozen kernels loading the
    machine that the next tests' pages draw on."""
    for lab in list(_LABS):
        for session in _server_api(lab, "GET", "/api/sessions"):
            _server_api(lab, "DELETE", f"/api/sessions/{session['id']}")
        for kernel in _server_api(lab, "GET", "/api/kernels"):  # one started without a session
            _server_api(lab, "DELETE", f"/api/kernels/{kernel['id']}")


def screenshot(locator_or_page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    locator_or_page.screenshot(path=str(path))
    return path


def open_notebook(page, lab, name: str, cells: list[str]) -> None:
    """Write a notebook of ``cells``, open it in JupyterLab, run all cells once the kernel is idle."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, lab["root"] / name)
    open_and_run_notebook(page, lab, name)


def open_and_run_notebook(page, lab, name: str) -> None:
    """Open the notebook file ``name`` (under the lab's root) in JupyterLab and run all its
    cells once the kernel is idle (a fresh workspace: nothing else is open)."""
    record_page_errors(page)
    page.goto(f"{lab['url']}/lab/tree/{name}?token={lab['token']}&reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # Idle kernel, loaded document, and the command enabled: before that, run-all does nothing.
    page.wait_for_function(
        "() => { const app = window.jupyterapp; const panel = app?.shell.currentWidget;"
        " return !!panel && panel.context?.isReady && panel.sessionContext?.isReady"
        " && panel.sessionContext.session?.kernel?.status === 'idle'"
        " && app.commands.isEnabled('notebook:run-all-cells'); }",
        timeout=90_000,
    )
    # Run-all takes at once: the first code cell shows [*] (queued), or has run. Under load
    # the command can still come too early and do nothing; only then is it issued again.
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = page.evaluate(FIRST_CELL_COUNT)
    for attempt in range(3):
        # Not awaited on purpose: returning the command's promise to evaluate() can hang.
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        try:
            page.wait_for_function(FIRST_CELL_QUEUED, arg=before, timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


# The notebook's first code cell with code (an empty one is never run), and its count.
_FIRST_CODE_CELL = """const cells = window.jupyterapp.shell.currentWidget.content.widgets;
  const code = cells.find((cell) => cell.model.type === 'code' && cell.model.sharedModel.getSource().trim());"""
FIRST_CELL_COUNT = f"""() => {{
  {_FIRST_CODE_CELL}
  return code ? code.model.executionCount : null;
}}"""
# Whether run-all took: that cell is queued or running ([*]), or its count changed (it ran,
# or was cleared to run: a saved notebook may come with counts).
FIRST_CELL_QUEUED = f"""(before) => {{
  {_FIRST_CODE_CELL}
  if (!code) return true;
  const prompt = code.node.querySelector('.jp-InputPrompt')?.textContent ?? '';
  return prompt.includes('*') || code.model.executionCount !== before;
}}"""


def set_theme(page, theme: str, timeout: float = 120_000) -> None:
    """Switch JupyterLab's theme ("JupyterLab Light" / "JupyterLab Dark") as the Settings menu
    does, and wait until the page wears it. The choice is saved in the lab's settings: switch
    back when done."""
    page.evaluate(
        "(theme) => { window.jupyterapp.commands.execute('apputils:change-theme', {theme}); }",
        theme,
    )
    page.wait_for_function(
        "(theme) => document.body.dataset.jpThemeName === theme", arg=theme, timeout=timeout
    )


def cell_output(page, index: int):
    """The output area of the ``index``-th code cell, scrolled into view (JupyterLab virtualizes)."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(index)
    # The DOM's own scroll, not Playwright's: that one waits for the cell to stop moving,
    # which a cell whose output is still growing (a table loading) may not do in time.
    # Playwright's 30 s default was not enough once: under a load of 40 on two cores a page
    # drawing several Plotly charts answered after that; the callers wait 120 s for drawing.
    cell.evaluate("(cell) => cell.scrollIntoView({block: 'nearest'})", timeout=120_000)
    return cell.locator(".jp-OutputArea")


# What each page said went wrong (console errors, uncaught exceptions), for describe_cell.
_PAGE_ERRORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def record_page_errors(page) -> None:
    """Keep the page's console errors and uncaught exceptions from now on (once per page)."""
    if page in _PAGE_ERRORS:
        return
    errors: list[str] = []
    _PAGE_ERRORS[page] = errors
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))


def describe_cell(page, index: int) -> str:
    """What the ``index``-th code cell shows (its prompt, its output's text, its Plotly roots)
    and the page's recorded errors: what a failed wait reports instead of a bare timeout."""
    try:
        shown = page.evaluate(
            """(i) => {
              const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[i];
              if (!cell) return {missing: true};
              const plots = [...cell.querySelectorAll('.js-plotly-plot')];
              return {
                prompt: cell.querySelector('.jp-InputPrompt')?.textContent ?? '',
                output: (cell.querySelector('.jp-OutputArea')?.innerText ?? '').slice(0, 1500),
                plots: plots.map((p) => ({svg: !!p.querySelector('.main-svg'),
                  width: p.getBoundingClientRect().width, height: p.getBoundingClientRect().height,
                  hidden: !p.offsetParent})),
              };
            }""",
            index,
        )
    except Exception as error:  # a page gone or not answering: say so, keep the failure
        shown = f"(the page did not answer: {error})"
    errors = _PAGE_ERRORS.get(page, [])
    return f"cell {index}: {shown}; page errors ({len(errors)}): {errors[-10:]}"


def wait_drawn(page, index: int, timeout: float = 120_000) -> None:
    """Wait until the ``index``-th code cell shows a drawn Plotly figure; if it does not,
    fail with what the cell shows instead (a traceback, a widget's message) and the page's
    errors, which a bare timeout would not tell."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    plot = cell_output(page, index).locator(".js-plotly-plot .main-svg").first
    try:
        plot.wait_for(timeout=timeout)
    except PlaywrightTimeout:
        raise AssertionError(
            f"no Plotly figure drawn in {timeout / 1000:.0f} s: {describe_cell(page, index)}"
        ) from None


def run_cell(page, source: str) -> None:
    """Append a cell with ``source`` at the end of the open notebook and run it (not awaited)."""
    page.evaluate(
        """(source) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const notebook = panel.content;
            notebook.activeCellIndex = notebook.widgets.length - 1;
            window.jupyterapp.commands.execute('notebook:insert-cell-below');
            notebook.activeCell.model.sharedModel.setSource(source);
            window.jupyterapp.commands.execute('notebook:run-cell');
        }""",
        source,
    )


def run_cell_and_read(page, source: str, timeout: float = 120_000) -> str:
    """Append a cell, run it, and return its text output (how Python state is read back)."""
    run_cell(page, source)
    marker = page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jp-OutputArea-output")
    marker.first.wait_for(timeout=timeout)
    return marker.first.inner_text()
