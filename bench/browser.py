"""Time from running a cell to a drawn widget, measured in a real browser.

    python bench/browser.py [--runs 100000] [--points 1000000]

Builds a store with ``--runs`` runs (10 params, 5 tags, 2 metrics each, written straight
into the store's tables by tests/e2e/bulk_runs.py) and one run with a ``--points``-point
metric history, opens JupyterLab in headless Chromium (Debian's ``chromium``, or
LABTRACK_CHROMIUM), then, for each widget, runs its cell and waits in the page until it is
drawn: the table's first rows and run count, the chart's line. The clock starts in the
browser when the cell is sent to the kernel and stops when the page shows the result, so it
covers the kernel's query, the transfer and the drawing. Median of a few repeats. A big
table draws its first page before its runs are loaded in the kernel: the time until the
page no longer says "loading" is given too.

The run table is paged from the kernel, so its scrolling and sorting are timed too: a jump
to a far row until that row is drawn (the page asked of the kernel and received), and a
header click until the first row shows the new order (the kernel's sort, the new page).
The page's JavaScript heap (after a garbage collection, through the Chrome DevTools
Protocol) is read before the table and after it was scrolled through and sorted: paging
keeps it bounded whatever the number of runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(REPO / "src"))
# The lab's kernels import this checkout's labtrack too (they inherit the environment).
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])
)

import bulk_runs  # noqa: E402
import lab_harness  # noqa: E402


def build_store(uri: str, runs: int, points: int) -> None:
    import numpy as np

    import labtrack as lt
    from labtrack.entities import Metric

    lt.set_tracking_uri(uri)
    bulk_runs.add_runs(uri, "bench-table", runs, params=10, tags=5)
    client = lt.Client()
    long = client.create_run(lt.create_experiment("bench-chart"), run_name="long")
    values = np.cumsum(np.random.default_rng(0).normal(size=points))
    for start in range(0, points, 100_000):
        chunk = values[start : start + 100_000]
        client.log_batch(
            long.info.run_id,
            metrics=[Metric("loss", float(v), 0, start + i) for i, v in enumerate(chunk)],
        )
    client.set_terminated(long.info.run_id)
    client.flush()


TABLE_DRAWN = (
    "(out, n) => out.querySelectorAll('.lt-tr:not(.lt-loading)').length > 0 && "
    "(out.querySelector('.lt-countline')?.textContent || '').replace(/,/g, '').includes(n + ' runs')"
)
# Each case: the cell, and page conditions (JS, given the cell's output element) for "drawn",
# each timed from the cell's start: the first one is the case's time.
CASES = {
    "run table, {runs:,} runs": (
        "lt.runs('bench-table', max_results={runs})",
        [
            TABLE_DRAWN,
            "(out) => out.querySelector('.lt-countline')?.dataset.loading === '0'",
        ],
    ),
    "metric chart, {points:,}-point run": (
        "lt.chart('loss', experiment='bench-chart')",
        ["(out) => out.querySelectorAll('.scatterlayer .trace path.js-line').length > 0"],
    ),
}
LATER = {"run table, {runs:,} runs": "  every run loaded in the kernel"}


def time_cell(page, index: int, conditions: list[str], arg) -> list[float]:
    """Run cell ``index`` and return milliseconds until each of ``conditions`` holds on its
    output, in turn."""
    return page.evaluate(
        """async ([index, conditions, arg]) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const notebook = panel.content;
            const cell = notebook.widgets[index];
            cell.model.sharedModel.setSource(cell.model.sharedModel.getSource());
            cell.outputArea.model.clear();
            const start = performance.now();
            notebook.activeCellIndex = index;
            window.jupyterapp.commands.execute('notebook:run-cell');
            const times = [];
            for (const condition of conditions) {
                const drawn = eval(condition);
                while (!drawn(cell.outputArea.node, arg)) {
                    await new Promise(requestAnimationFrame);
                    if (performance.now() - start > 120000) throw new Error('not drawn in 120 s');
                }
                times.push(performance.now() - start);
            }
            return times;
        }""",
        [index, conditions, arg],
    )


# Scroll the table (the first cell output's) to a row and wait until that row is drawn.
SCROLL = """async ([index, row]) => {
    const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
    const scroller = cell.outputArea.node.querySelector('.lt-scroll');
    const start = performance.now();
    scroller.scrollTop = row * 28;
    scroller.dispatchEvent(new Event('scroll'));
    const drawn = () => {
        const el = scroller.querySelector(`.lt-tr[data-index='${row}']`);
        return el && !el.classList.contains('lt-loading') && el.textContent !== '';
    };
    while (!drawn()) {
        await new Promise(requestAnimationFrame);
        if (performance.now() - start > 60000) throw new Error('row not drawn in 60 s');
    }
    return performance.now() - start;
}"""

# Click a header and wait until the first row shows another run (the kernel's new order).
SORT = """async ([index, column]) => {
    const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
    const node = cell.outputArea.node;
    node.querySelector('.lt-scroll').scrollTop = 0;
    const first = () => node.querySelector(".lt-tr[data-index='0']:not(.lt-loading)")?.textContent;
    const before = first();
    const start = performance.now();
    node.querySelector(`.lt-th[data-column='${column}']`).click();
    while (first() === before || first() === undefined) {
        await new Promise(requestAnimationFrame);
        if (performance.now() - start > 60000) throw new Error('not re-sorted in 60 s');
    }
    return performance.now() - start;
}"""


def heap_mb(cdp) -> float:
    """The page's used JavaScript heap after a garbage collection, in MB."""
    cdp.send("HeapProfiler.collectGarbage")
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize") / 1e6


def table_interaction(page, cdp, index: int, runs: int, repeats: int) -> dict[str, float]:
    """Scrolling and sorting the drawn table (cell ``index``), and the heap around them."""
    import random

    rng = random.Random(0)
    scrolls = [
        page.evaluate(SCROLL, [index, rng.randrange(runs)]) for _ in range(max(5, repeats * 3))
    ]
    first_sort = page.evaluate(SORT, [index, "metrics.acc"])  # ranks the column in the kernel
    resorts = [page.evaluate(SORT, [index, "metrics.acc"]) for _ in range(repeats)]
    page.evaluate(SCROLL, [index, runs - 1])
    return {
        "scroll to a far row (ms)": statistics.median(scrolls),
        "first sort by a metric (ms)": first_sort,
        "re-sort (ms)": statistics.median(resorts),
        "JS heap after scrolling and sorting (MB)": heap_mb(cdp),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        uri = f"sqlite:///{root / 'store' / 'labtrack.db'}"
        started = time.perf_counter()
        build_store(uri, args.runs, args.points)
        print(f"store built in {time.perf_counter() - started:.0f} s")
        cells = ["import labtrack as lt"] + [
            cell.format(runs=args.runs) for cell, _ in CASES.values()
        ]
        results = {}
        with lab_harness.running_lab(root, store_uri=uri) as lab, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=lab_harness.CHROMIUM, args=lab_harness.CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            lab_harness.open_notebook(page, lab, "bench.ipynb", cells)
            page.locator(".lt-tr").first.wait_for(timeout=180_000)  # the first run-all: warm-up
            page.wait_for_function(  # its runs loaded: no load of it competes with the timings
                "() => [...document.querySelectorAll('.lt-countline')]"
                ".every((line) => line.dataset.loading === '0')",
                timeout=180_000,
            )
            for index, (label, (_, conditions)) in enumerate(CASES.items(), start=1):
                arg = args.runs if "table" in label else None
                times = [time_cell(page, index, conditions, arg) for _ in range(args.repeats)]
                name = label.format(runs=args.runs, points=args.points)
                results[name] = statistics.median(t[0] for t in times)
                if label in LATER:
                    results[LATER[label]] = statistics.median(t[-1] for t in times)
            page.evaluate(
                "() => { window.jupyterapp.shell.currentWidget.content.widgets[2]"
                ".outputArea.model.clear(); }"
            )  # the chart's Plotly out of the heap reading: the table's alone
            before = heap_mb(cdp)
            table = table_interaction(page, cdp, 1, args.runs, args.repeats)
            browser.close()
    print(f"cell run -> widget drawn, in the browser (median of {args.repeats})")
    for label, ms in results.items():
        print(f"  {label:<36} {ms / 1000:6.2f} s")
    print(f"run table of {args.runs:,} runs, paged from the kernel")
    print(f"  {'JS heap with the table drawn (MB)':<44} {before:8.1f}")
    for label, value in table.items():
        print(f"  {label:<44} {value:8.1f}")
    results.update({f"run table: {label}": value for label, value in table.items()})
    results["run table: JS heap with the table drawn (MB)"] = before
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "browser.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
