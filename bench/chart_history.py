"""What a chart of a long metric history costs to read, on SQLite and on PostgreSQL.

    python bench/chart_history.py [--points 1000000] [--postgres URL]

Logs one run with a ``--points``-point metric in each store, then times (median of
``--repeats``) what the metric chart asks for, ``Client().get_metric_history_for_chart(run,
key, 2000)`` (about 2,000 points picked in SQL by the rule of
``labtrack.tracking.downsampling``), against reading the whole history and downsampling it in
numpy, which is what PostgreSQL did before the store picked the points there too. The stores
take turns, one read each (in the opposite order every other turn), so a moment of load
elsewhere on the machine falls on both; the PostgreSQL/SQLite ratio is the median of each
turn's. Times are wall clock: PostgreSQL reads a long history on two connections, so on two
cores where SQLite uses one. PostgreSQL runs where ``--postgres`` (or LABTRACK_BENCH_POSTGRES)
names a server whose user may create databases.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))
sys.path.insert(0, str(BENCH))

from teams import databases  # noqa: E402

MAX_POINTS = 2000


def log_history(uri: str, points: int) -> tuple[object, str]:
    """A client of the store at ``uri`` and a run of it with a ``points``-point metric."""
    import numpy as np

    import labtrack as lt

    client = lt.Client(uri)
    run = client.create_run(client.create_experiment("chart-bench"))
    pk = client.store.runs.run_pk(run.info.run_id)
    values = np.cumsum(np.random.default_rng(0).normal(size=points)).tolist()
    for start in range(0, points, 100_000):
        client.store.metrics.insert_metrics(
            [
                (pk, "loss", values[i], 1_700_000_000_000 + i, i)
                for i in range(start, min(start + 100_000, points))
            ]
        )
    return client, run.info.run_id


def reads(client, run_id: str) -> dict[str, object]:
    """What is timed on one store: the chart's read, and the whole history + numpy rule."""
    from labtrack.tracking import downsampling

    buckets = (MAX_POINTS - 2) // 2

    def whole_then_numpy():
        steps, stamps, values = client.get_metric_history_columns(run_id, "loss")
        downsampling.step_range_extremes(steps, stamps, values, buckets)

    return {
        "chart read (picked in SQL)": lambda: client.get_metric_history_for_chart(
            run_id, "loss", MAX_POINTS
        ),
        "whole history + numpy rule": whole_then_numpy,
    }


def in_turns(stores: dict[str, dict], repeats: int) -> dict[str, dict[str, list[float]]]:
    """Seconds of each read of each store, the stores taking turns read by read, in the
    opposite order every other turn (whatever a read leaves behind falls on both)."""
    times = {store: {what: [] for what in works} for store, works in stores.items()}
    for what in next(iter(stores.values())):
        for works in stores.values():
            works[what]()  # a first read warms the caches: not timed
        for turn in range(repeats):
            order = list(stores) if turn % 2 == 0 else list(reversed(stores))
            for store in order:
                started = time.perf_counter()
                stores[store][what]()
                times[store][what].append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--postgres", default=os.environ.get("LABTRACK_BENCH_POSTGRES"))
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory())
        uris = {"SQLite": f"sqlite:///{Path(scratch) / 'labtrack.db'}"}
        if args.postgres:
            uris["PostgreSQL"] = stack.enter_context(databases(args.postgres, "chart"))["chart"]
        clients = {store: log_history(uri, args.points) for store, uri in uris.items()}
        times = in_turns({store: reads(*clients[store]) for store in uris}, args.repeats)
        for client, _ in clients.values():
            client.close()
    print(
        f"a {args.points:,}-point metric, chart of {MAX_POINTS:,} points "
        f"(median of {args.repeats}, the stores taking turns)"
    )
    for store, figures in times.items():
        for what, seconds in figures.items():
            print(f"  {store:<11} {what:<28} {statistics.median(seconds):8.3f} s")
    if "PostgreSQL" in times:
        for what, seconds in times["PostgreSQL"].items():
            turns = zip(times["SQLite"][what], seconds, strict=True)
            ratio = statistics.median(pg / lite for lite, pg in turns)
            print(f"  PostgreSQL / SQLite, {what}: {ratio:.2f}x (median of the turns)")


if __name__ == "__main__":
    main()
