"""``labtrack report``: an experiment's runs as one self-contained HTML file to share."""

from __future__ import annotations

import argparse


def add_commands(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write an experiment's runs as one self-contained HTML file",
        description="Write one HTML file that opens offline in any browser, from file:// or "
        "as an attachment: the run table (sortable), metric charts, a scatter, parallel "
        "coordinates, the best runs compared, notes and images. Nothing is loaded from the "
        "network.",
    )
    p.add_argument(
        "-e",
        "--experiment",
        action="append",
        required=True,
        help="experiment name or id (repeatable)",
    )
    p.add_argument("-o", "--output", default="report.html", help="file to write (report.html)")
    p.add_argument(
        "-f",
        "--filter",
        default="",
        help="only the runs matching, e.g. \"metrics.acc > 0.9 and params.kernel = 'rbf'\"",
    )
    p.add_argument(
        "-m",
        "--metrics",
        help="comma-separated metrics to chart (default: every one logged)",
    )
    p.add_argument(
        "--metric", help="the metric that ranks the best runs (default: the first charted)"
    )
    direction = p.add_mutually_exclusive_group()
    direction.add_argument(
        "--lower-is-better",
        dest="lower_is_better",
        action="store_true",
        default=None,
        help="the lowest --metric is best (default for losses and errors)",
    )
    direction.add_argument(
        "--higher-is-better",
        dest="lower_is_better",
        action="store_false",
        help="the highest --metric is best (default for other metrics)",
    )
    p.add_argument(
        "--params", help="comma-separated params for the parallel coordinates (default: differing)"
    )
    p.add_argument("--best", type=int, default=5, help="runs in the comparison (5)")
    p.add_argument(
        "--max-points",
        type=int,
        default=1000,
        help="points per metric curve at most, peaks and dips kept (1000)",
    )
    p.add_argument("--max-runs", type=int, default=1000, help="refuse more runs than this (1000)")
    p.add_argument("--title", help="the report's title")
    p.set_defaults(func=report)


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [name.strip() for name in text.split(",") if name.strip()]


def report(args: argparse.Namespace) -> int:
    """Write the report and print where."""
    from labtrack.html_report import report as write_report
    from labtrack.tracking.client import TrackingClient

    path = write_report(
        args.experiment,
        args.output,
        metrics=_names(args.metrics),
        max_points=args.max_points,
        filter=args.filter,
        metric=args.metric,
        lower_is_better=args.lower_is_better,
        params=_names(args.params),
        best=args.best,
        title=args.title,
        max_runs=args.max_runs,
        client=TrackingClient(args.tracking_uri),
    )
    size = path.stat().st_size
    print(f"wrote {path} ({size / 1e6:.1f} MB)")
    return 0
