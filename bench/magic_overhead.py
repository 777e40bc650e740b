"""What ``%%track`` adds to a trivial cell, in a real IPython shell (median over many cells).

    python bench/magic_overhead.py [--cells 200]

Runs the same one-line cell plain, under ``%%track --quiet``, and under
``%%track --quiet --no-source``, interleaved so machine noise hits all three alike, in a
scratch folder outside any git repository and then inside one (where the run's git state is
captured by a background ``git status``). Each twice: cells back to back, where the previous
cell's background work (git, the cell-history files) competes with the next cell; and with
that work settled between cells (untimed), which is what a person running cells sees.
Prints medians and the overhead in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
VARIANTS = {
    "plain": "x = 1\n",
    "%%track": "%%track --quiet\nx = 1\n",
    "%%track --no-source": "%%track --quiet --no-source\nx = 1\n",
}


def settle_background() -> None:
    """Untimed: let the background git capture and the writer's deferred file writes finish."""
    import labtrack as lt
    from labtrack.tracking.fluent import wait_for_source_capture

    wait_for_source_capture()
    lt.flush()


def measure(cells: int, folder: Path, settle: bool) -> dict[str, float]:
    sys.path.insert(0, str(SRC))
    from IPython.core.interactiveshell import InteractiveShell

    os.chdir(folder)
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext labtrack")
    shell.run_cell(f"import labtrack as lt; lt.set_tracking_uri(r'{folder / 'store.db'}')")
    for source in VARIANTS.values():  # warm up: imports, store creation, caches
        shell.run_cell(source)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(cells):
        for name, source in VARIANTS.items():
            start = time.perf_counter()
            result = shell.run_cell(source)
            times[name].append(time.perf_counter() - start)
            assert result.success, result.error_in_exec
            if settle:  # like a person between cells: background work (git, files) finishes
                settle_background()
    shell.run_cell("lt.flush()")
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cells", type=int, default=200, help="cells per variant (default 200)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "plain"
        repo = Path(scratch) / "repo"
        plain.mkdir()
        repo.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        (repo / "train.py").write_text("print(1)\n")
        subprocess.run(["git", "add", "."], cwd=repo, check=True)
        subprocess.run(
            ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "x"],
            cwd=repo,
            check=True,
        )
        for label, folder in (("outside git", plain), ("in a git repository", repo)):
            results[f"{label}, cells back to back"] = measure(args.cells, folder, settle=False)
            results[f"{label}, background work settled between cells"] = measure(
                args.cells, folder, settle=True
            )
        os.chdir(Path(__file__).resolve().parent)  # IPython's exit hook needs a cwd that exists
    print(f"%%track overhead on a trivial cell (median of {args.cells} cells each, milliseconds)")
    for label, medians in results.items():
        base = medians["plain"]
        print(f"  {label}:")
        for name, value in medians.items():
            extra = "" if name == "plain" else f"   overhead {value - base:6.2f} ms"
            print(f"    {name:<22} {value:7.2f} ms{extra}")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "magic_overhead.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
