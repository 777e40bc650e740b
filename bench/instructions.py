"""Many short runs counted in instructions (callgrind), which other load does not change.

On a shared machine the wall clock of ``run.py --workloads many_runs`` moves by tens of
percent from one run to the next. callgrind counts the instructions a process executes
instead (the kernel's share, such as the writes of a commit, is left out). Each system runs
the same loop of short runs (10 params, 5 tags, 3 metrics x 100 steps, as ``many_runs``)
for ``--runs`` and for twice as many runs, ``--repeats`` times; the difference divided by
``--runs`` is the cost of one run without the setup (imports, the store's creation).

    python bench/instructions.py            # needs valgrind (Debian: apt-get install valgrind)
    python bench/instructions.py --runs 100 --repeats 1   # quicker, rougher
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


def instructions(script: Path, runs: int, system: str) -> int:
    """Instructions callgrind counts for the whole process running ``runs`` runs."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        + [sys.executable, str(script), str(runs), system],
        capture_output=True,
        text=True,
        check=True,
        cwd=script.parent,  # in a folder outside any git repository's checks of this one
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_run(script: Path, system: str, runs: int, repeats: int) -> float:
    """Instructions of one run: the mean of (count at 2 x runs - count at runs) / runs."""
    slopes = [
        (instructions(script, 2 * runs, system) - instructions(script, runs, system)) / runs
        for _ in range(repeats)
    ]
    return mean(slopes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="runs in the shorter loop")
    parser.add_argument("--repeats", type=int, default=2, help="pairs of loops per system")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "short_runs.py"
        script.write_text(LOOP.format(here=str(HERE)))
        os.environ.setdefault("LABTRACK_HOME", folder)  # spool and settings out of ~/.labtrack
        floor = per_run(script, "raw", args.runs, args.repeats)
        labtrack = per_run(script, "labtrack", args.runs, args.repeats)
    print(f"instructions per short run ({args.runs} and {2 * args.runs} runs, x{args.repeats})")
    print(f"  floor (sqlite3)  {floor / 1e6:8.2f} M")
    print(f"  labtrack         {labtrack / 1e6:8.2f} M   {labtrack / floor:.2f}x the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
