"""Time from running a cell to a drawn widget, measured in a real browser.

    python bench/browser.py [--runs 10000] [--points 1000000]

Builds a store with ``--runs`` runs (10 params, 5 tags, 3 metrics each) and one run with a
``--points``-point metric history, opens JupyterLab in headless Chromium (Debian's
``chromium``, or LABTRACK_CHROMIUM), then, for each widget, runs its cell and waits in the
page until it is drawn: the table's rows and run count, the chart's line. The clock starts
in the browser when the cell is sent to the kernel and stops when the page shows the result,
so it covers the kernel's query, the transfer and the drawing. Median of a few repeats.
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

import lab_harness  # noqa: E402


def build_store(uri: str, runs: int, points: int) -> None:
    import numpy as np

    import labtrack as lt
    from labtrack.entities import Metric, Param, RunTag

    lt.set_tracking_uri(uri)
    experiment = lt.create_experiment("bench-table")
    client = lt.Client()
    for i in range(runs):
        run = client.create_run(experiment, run_name=f"run-{i}")
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(f"m{k}", i * 0.001 + k, 0, 0) for k in range(3)],
            params=[Param(f"p{j}", str((i * j) % 97)) for j in range(10)],
            tags=[RunTag(f"t{j}", f"v{i % 7}") for j in range(5)],
        )
        client.set_terminated(run.info.run_id)
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


# Each case: the cell, and a page condition (JS, given the cell's output element) for "drawn".
CASES = {
    "run table, {runs:,} runs": (
        "lt.runs('bench-table', max_results={runs})",
        "(out, n) => out.querySelectorAll('.lt-tr').length > 0 && "
        "(out.querySelector('.lt-countline')?.textContent || '').replace(/,/g, '').includes(n + ' runs')",
    ),
    "metric chart, {points:,}-point run": (
        "lt.chart('loss', experiment='bench-chart')",
        "(out) => out.querySelectorAll('.scatterlayer .trace path.js-line').length > 0",
    ),
}


def time_cell(page, index: int, condition: str, arg) -> float:
    """Run cell ``index`` and return milliseconds until ``condition`` holds on its output."""
    return page.evaluate(
        """async ([index, condition, arg]) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const notebook = panel.content;
            const cell = notebook.widgets[index];
            cell.model.sharedModel.setSource(cell.model.sharedModel.getSource());
            cell.outputArea.model.clear();
            const drawn = eval(condition);
            const start = performance.now();
            notebook.activeCellIndex = index;
            window.jupyterapp.commands.execute('notebook:run-cell');
            while (!drawn(cell.outputArea.node, arg)) {
                await new Promise(requestAnimationFrame);
                if (performance.now() - start > 120000) throw new Error('not drawn in 120 s');
            }
            return performance.now() - start;
        }""",
        [index, condition, arg],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10_000)
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
            lab_harness.open_notebook(page, lab, "bench.ipynb", cells)
            page.locator(".lt-tr").first.wait_for(timeout=180_000)  # the first run-all: warm-up
            for index, (label, (_, condition)) in enumerate(CASES.items(), start=1):
                arg = args.runs if "table" in label else None
                times = [time_cell(page, index, condition, arg) for _ in range(args.repeats)]
                results[label.format(runs=args.runs, points=args.points)] = statistics.median(times)
            browser.close()
    print(f"cell run -> widget drawn, in the browser (median of {args.repeats})")
    for label, ms in results.items():
        print(f"  {label:<36} {ms / 1000:6.2f} s")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "browser.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
