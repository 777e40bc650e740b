"""Many short runs, and search_runs, counted in instructions (callgrind), which other load
does not change.

On a shared machine the wall clock of ``run.py`` moves by tens of percent from one run to the
next. callgrind counts the instructions a process executes instead (the kernel's share, such
as the writes of a commit or a page read, is left out). Each system runs the same loop for
``--loops`` units and for twice as many, ``--repeats`` times; the difference divided by
``--loops`` is the cost of one unit without the setup (imports, the store's creation):

* ``many_runs``: a unit is a short run (10 params, 5 tags, 3 metrics x 100 steps, as
  ``run.py``'s ``many_runs``);
* ``search``: a unit is one ``search_runs`` into a DataFrame over ``--search-runs`` runs (as
  ``run.py``'s ``search``: 10 params, 5 tags, 3 latest metrics each), in a store built
  beforehand outside callgrind.

    python bench/instructions.py            # needs valgrind (Debian: apt-get install valgrind)
    python bench/instructions.py --workload search
    python bench/instructions.py --loops 100 --repeats 1   # quicker, rougher
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import mean

HERE = Path(__file__).resolve().parent

LOOP = """
import sys, tempfile
from pathlib import Path
sys.path.insert(0, {here!r})
from common import metric_rows, now_ms, run_params, run_tags

runs, system = int(sys.argv[1]), sys.argv[2]
rows = metric_rows(3, 100)
if system == "raw":
    import workloads_raw

    store = workloads_raw.Store(Path(tempfile.mkdtemp()))
    for index in range(runs):
        store.conn.execute("BEGIN")
        timestamp = now_ms()
        run = store.insert_run(index, timestamp)
        points = [(key, value, step, timestamp) for key, value, step in rows]
        store.insert_run_data(run, run_params(index, 10), run_tags(index, 5), points)
        store.conn.execute("COMMIT")
else:
    import labtrack as lt

    lt.set_tracking_uri(f"sqlite:///{{tempfile.mkdtemp()}}/labtrack.db")
    lt.set_experiment("many")
    for index in range(runs):
        with lt.start_run():
            lt.log_params(run_params(index, 10))
            lt.set_tags(run_tags(index, 5))
            for key, value, step in rows:
                lt.log_metric(key, value, step=step)
    lt.flush()
"""

# Builds the two stores the search loop reads (run natively, once: not counted).
SEARCH_STORES = """
import sys
from pathlib import Path
sys.path.insert(0, {here!r})
from common import metric_keys, metric_value, now_ms, run_params, run_tags

runs, folder = int(sys.argv[1]), Path(sys.argv[2])
keys, timestamp = metric_keys(3), now_ms()
import workloads_raw

(folder / "raw").mkdir()
store = workloads_raw.Store(folder / "raw")
store.conn.execute("BEGIN")
for index in range(runs):
    run = store.insert_run(index, timestamp + index)
    points = [(key, metric_value(k, 99), 99, timestamp) for k, key in enumerate(keys)]
    store.insert_run_data(run, run_params(index, 10), run_tags(index, 5), points)
store.conn.execute("COMMIT")

import labtrack as lt
from labtrack.entities import Metric, Param, RunTag

client = lt.Client(f"sqlite:///{{folder}}/labtrack/labtrack.db")
experiment_id = client.create_experiment("search")
for index in range(runs):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(key, metric_value(k, 99), timestamp, 99) for k, key in enumerate(keys)],
        params=[Param(k, v) for k, v in run_params(index, 10).items()],
        tags=[RunTag(k, v) for k, v in run_tags(index, 5).items()],
    )
    client.set_terminated(run_id)
client.flush()
"""

SEARCH = """
import sqlite3, sys
sys.path.insert(0, {here!r})
import pandas as pd

searches, system = int(sys.argv[1]), sys.argv[2]
if system == "raw":
    import workloads_raw

    conn = sqlite3.connect({folder!r} + "/raw/raw.db", isolation_level=None)
    for _ in range(searches):
        frame = workloads_raw.runs_frame(conn, pd)
else:
    import labtrack as lt

    lt.set_tracking_uri("sqlite:///" + {folder!r} + "/labtrack/labtrack.db")
    for _ in range(searches):
        frame = lt.search_runs(experiment_names=["search"])
assert len(frame) == {runs}, len(frame)
"""


def instructions(script: Path, units: int, system: str) -> int:
    """Instructions callgrind counts for the whole process running ``units`` units."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        + [sys.executable, str(script), str(units), system],
        capture_output=True,
        text=True,
        check=True,
        cwd=script.parent,  # in a folder outside any git repository's checks of this one
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_unit(script: Path, system: str, units: int, repeats: int) -> float:
    """Instructions of one unit: the mean of (count at 2 x units - count at units) / units."""
    slopes = [
        (instructions(script, 2 * units, system) - instructions(script, units, system)) / units
        for _ in range(repeats)
    ]
    return mean(slopes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=("many_runs", "search"), default="many_runs")
    parser.add_argument(
        "--loops", type=int, help="units in the shorter loop (300 short runs, or 10 searches)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="pairs of loops per system")
    parser.add_argument("--search-runs", type=int, default=500, help="runs a search reads")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("LABTRACK_HOME", folder)  # spool and settings out of ~/.labtrack
        script = Path(folder) / f"{args.workload}.py"
        if args.workload == "many_runs":
            loops, unit = args.loops or 300, "short run"
            script.write_text(LOOP.format(here=str(HERE)))
        else:
            loops, unit = args.loops or 10, f"search_runs over {args.search_runs} runs"
            stores = Path(folder) / "stores"
            stores.mkdir()
            builder = Path(folder) / "build_stores.py"
            builder.write_text(SEARCH_STORES.format(here=str(HERE)))
            subprocess.run(
                [sys.executable, str(builder), str(args.search_runs), str(stores)],
                check=True,
                cwd=folder,
            )
            script.write_text(
                SEARCH.format(here=str(HERE), folder=str(stores), runs=args.search_runs)
            )
        floor = per_unit(script, "raw", loops, args.repeats)
        labtrack = per_unit(script, "labtrack", loops, args.repeats)
    print(f"instructions per {unit} ({loops} and {2 * loops} of them, x{args.repeats})")
    print(f"  floor (sqlite3)  {floor / 1e6:8.2f} M")
    print(f"  labtrack         {labtrack / 1e6:8.2f} M   {labtrack / floor:.2f}x the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
