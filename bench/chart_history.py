"""What a chart of a long metric history costs to read, on SQLite and on PostgreSQL.

    python bench/chart_history.py [--points 1000000] [--postgres URL]

Logs one run with a ``--points``-point metric, then times (median of ``--repeats``) what the
metric chart asks for, ``Client().get_metric_history_for_chart(run, key, 2000)`` (about 2,000
points picked in SQL by the rule of ``labtrack.tracking.downsampling``), against reading the
whole history and downsampling it in numpy, which is what PostgreSQL did before the store
picked the points there too. PostgreSQL runs where ``--postgres`` (or
LABTRACK_BENCH_POSTGRES) names a server whose user may create databases.
"""

from __future__ import annotations

import argparse
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
    import numpy as np

    import labtrack as lt

    lt.set_tracking_uri(uri)
    client = lt.Client()
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


def median_seconds(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(uri: str, points: int, repeats: int) -> dict[str, float]:
    from labtrack.tracking import downsampling

    client, run_id = log_history(uri, points)
    buckets = (MAX_POINTS - 2) // 2

    def whole_then_numpy():
        steps, stamps, values = client.get_metric_history_columns(run_id, "loss")
        downsampling.step_range_extremes(steps, stamps, values, buckets)

    chart = median_seconds(
        lambda: client.get_metric_history_for_chart(run_id, "loss", MAX_POINTS), repeats
    )
    figures = {"chart read (picked in SQL)": chart}
    figures["whole history + numpy rule"] = median_seconds(whole_then_numpy, repeats)
    client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("LABTRACK_BENCH_POSTGRES"))
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        results["SQLite"] = measure(
            f"sqlite:///{Path(scratch) / 'labtrack.db'}", args.points, args.repeats
        )
    if args.postgres:
        with databases(args.postgres, "chart") as urls:
            results["PostgreSQL"] = measure(urls["chart"], args.points, args.repeats)
    print(
        f"a {args.points:,}-point metric, chart of {MAX_POINTS:,} points (median of {args.repeats})"
    )
    for store, figures in results.items():
        for what, seconds in figures.items():
            print(f"  {store:<11} {what:<28} {seconds:8.3f} s")


if __name__ == "__main__":
    main()
