"""lt.media() in a real JupyterLab: two runs' images side by side, whose step a person moves
with the slider (the kernel sends that step's images; the DOM's image sources change), and
histograms over steps drawn as a ridgeline, in the light and the dark theme.

Screenshots go to ``artifacts-ci/screenshots/`` (media_*.png).
"""

from __future__ import annotations

import pytest

SETUP = """
import numpy as np
import labtrack as lt

lt.set_experiment("media-e2e")
yy, xx = np.mgrid[0:48, 0:48]
for name in ["adam", "sgd"]:
    with lt.start_run(run_name=name):
        rng = np.random.default_rng(len(name))
        for step in range(4):
            # a shape that grows with the step (a disc for adam, a square for sgd)
            size = 6 + 5 * step
            if name == "adam":
                shape = (xx - 24) ** 2 + (yy - 24) ** 2 < size**2
            else:
                shape = (abs(xx - 24) < size) & (abs(yy - 24) < size)
            image = np.zeros((48, 48, 3), dtype=np.uint8) + 235
            image[shape] = 70
            lt.log_image(image, key="samples", step=step)
            predicted = [(d + step * (name == "adam")) % 10 for d in range(5)]
            lt.log_table(
                {"digit": list(range(5)), "predicted": predicted, "note": ["<b>bold?</b>"] * 5},
                key="predictions",
                step=step,
            )
        for step in range(30):
            spread = 1.0 + step / (20 if name == "adam" else 40)
            lt.log_histogram(rng.normal(step / 15, spread, 2000), key="weights/fc1", step=step)
print("logged")
"""

CELLS = [
    SETUP,
    'images = lt.media("samples")\nimages',
    'lt.media("weights/fc1")',
    'lt.media("predictions")',
]

# The index-th code cell's media widget as the DOM shows it.
SHOWN = """(index) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[index];
  const widget = cell && cell.querySelector('.lt-media');
  if (!widget) return null;
  const cards = [...widget.querySelectorAll('.lt-media-card')];
  const plots = [...widget.querySelectorAll('.js-plotly-plot')];
  return {
    runs: cards.map((c) => c.querySelector('.lt-media-run').textContent),
    swatches: cards.map((c) => getComputedStyle(c.querySelector('.lt-media-swatch')).backgroundColor),
    srcs: cards.map((c) => { const img = c.querySelector('img'); return img ? img.getAttribute('src') : null; }),
    loaded: cards.map((c) => { const img = c.querySelector('img'); return !!img && img.complete && img.naturalWidth; }),
    steps: cards.map((c) => c.querySelector('.lt-media-step').textContent),
    slider: widget.querySelector('input[type="range"]').value,
    label: widget.querySelector('.lt-media-step-label').textContent,
    traces: plots.map((p) => (p._fullData || []).length),
    // the colour of each card's chosen-step line (the ridgeline's last trace)
    lines: plots.map((p) => { const d = p._fullData || []; return d.length ? d[d.length - 1].line.color : null; }),
  };
}"""


def _wait(page, index, condition: str, what: str, timeout=90_000):
    """Wait until ``condition`` (JS over ``shown``, SHOWN's result) holds for the cell."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            f"(index) => {{ const shown = ({SHOWN})(index); return !!shown && ({condition}); }}",
            arg=index,
            timeout=timeout,
        )
    except PlaywrightTimeout:
        raise AssertionError(
            f"{what}: after {timeout / 1000:.0f} s the widget shows {page.evaluate(SHOWN, index)}"
        ) from None
    return page.evaluate(SHOWN, index)


def _hex(rgb: str) -> str:
    """A computed colour, ``rgb(227, 119, 194)``, as ``#e377c2``."""
    red, green, blue = (int(part) for part in rgb[rgb.index("(") + 1 : -1].split(","))
    return f"#{red:02x}{green:02x}{blue:02x}"


@pytest.fixture(scope="module")
def media_notebook(lab, browser, ui):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    ui.open_notebook(page, lab, "media.ipynb", CELLS)
    yield page
    context.close()


def test_the_slider_changes_the_step_both_runs_show(media_notebook, ui):
    page = media_notebook
    shown = _wait(
        page,
        1,
        "shown.srcs.length === 2 && shown.loaded.every(Boolean)",
        "two runs' images, loaded",
    )
    assert sorted(shown["runs"]) == ["adam", "sgd"]
    assert shown["steps"] == ["step 3", "step 3"] and shown["slider"] == "3"
    assert all(src.startswith("blob:") for src in shown["srcs"])
    # Each card wears its run's colour: the one the histograms widget draws that run in.
    # (A colour comes from the run's id, so two runs may share one; one run, one colour holds.)
    ridges = _wait(page, 2, "shown.traces.length === 2", "the histograms' ridgelines")
    line_of = dict(zip(ridges["runs"], ridges["lines"], strict=True))
    assert {run: _hex(rgb) for run, rgb in zip(shown["runs"], shown["swatches"], strict=True)} == {
        run: line_of[run].lower() for run in shown["runs"]
    }
    ui.screenshot(ui.cell_output(page, 1), "media_images_light")

    slider = ui.cell_output(page, 1).locator('.lt-media input[type="range"]')
    slider.fill("1")  # as a drag ending on step 1: input, then change
    moved = _wait(
        page,
        1,
        f"shown.steps.every((s) => s === 'step 1') && shown.loaded.every(Boolean)"
        f" && shown.srcs.every((src, i) => src !== {shown['srcs']!r}[i])",
        "both runs' step-1 images",
    )
    assert moved["label"] == "1"
    assert ui.run_cell_and_read(page, "print(images.step)").strip() == "1"
    ui.screenshot(ui.cell_output(page, 1), "media_images_step1_light")

    ui.cell_output(page, 1).get_by_role("button", name="next step").click()
    _wait(page, 1, "shown.steps.every((s) => s === 'step 2')", "the next step's images")


def test_histograms_over_steps_with_the_chosen_one_on_top(media_notebook, ui):
    page = media_notebook
    # 30 steps per run and the chosen step's curve drawn over them
    shown = _wait(
        page, 2, "shown.traces.length === 2 && shown.traces.every((n) => n === 31)", "ridgelines"
    )
    assert shown["steps"] == ["step 29", "step 29"]
    ui.screenshot(ui.cell_output(page, 2), "media_histograms_light")


def test_tables_show_their_cells_as_text(media_notebook, ui):
    page = media_notebook
    _wait(page, 3, "shown.runs.length === 2", "two runs' tables")
    cells = ui.cell_output(page, 3).locator(".lt-media-table td")
    assert cells.first.inner_text() == "0"
    notes = ui.cell_output(page, 3).locator(".lt-media-table td", has_text="<b>bold?</b>")
    assert notes.count() == 10  # the markup shows as text in both runs' tables
    assert ui.cell_output(page, 3).locator(".lt-media-table b").count() == 0
    ui.screenshot(ui.cell_output(page, 3), "media_tables_light")


def test_both_widgets_in_the_dark_theme(media_notebook, ui):
    page = media_notebook
    ui.set_theme(page, "JupyterLab Dark")
    try:
        _wait(page, 1, "shown.loaded.every(Boolean)", "the images in the dark theme")
        background = page.evaluate(
            "() => getComputedStyle(document.querySelector('.lt-media-card')).backgroundColor"
        )
        assert background != "rgb(255, 255, 255)", "the cards follow the dark theme"
        # the ridgeline's curves hide those behind them in the card's own (dark) colour
        fills = page.evaluate(
            """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')[2]
                .querySelectorAll('.lt-media-card')].map((card) => [
                  getComputedStyle(card).backgroundColor,
                  getComputedStyle(card.querySelector('.scatterlayer .js-fill')).fill,
                ])"""
        )
        assert fills and all(card == fill for card, fill in fills), fills
        ui.screenshot(ui.cell_output(page, 1), "media_images_dark")
        ui.screenshot(ui.cell_output(page, 2), "media_histograms_dark")
        ui.screenshot(ui.cell_output(page, 3), "media_tables_dark")
    finally:
        ui.set_theme(page, "JupyterLab Light")
