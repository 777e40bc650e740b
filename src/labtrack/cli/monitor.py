"""``labtrack monitor NAME``: a deployment's drift and live accuracy per window, as a table."""

from __future__ import annotations

import argparse


def add_commands(sub) -> None:
    p = sub.add_parser(
        "monitor",
        help="print a deployment's drift (PSI and a two-sample test) and live accuracy per window",
        description="Compare each window of the predictions a deployment logged "
        "(labtrack serve --deployment NAME --log-predictions) with a reference: PSI and a "
        "Kolmogorov-Smirnov (numbers) or chi-squared (categories) test per feature, "
        "prediction drift, and accuracy where feedback came back, over every run of the "
        "deployment (a restart starts a new one). Reads only, unless --log, "
        "--alert or --on-drift.",
    )
    p.add_argument("name", metavar="NAME", help="the deployment's name")
    p.add_argument(
        "--reference",
        help="a run id (its logged dataset), runs:/<id>/<table>, or a .parquet/.csv file "
        "(default: the dataset of the run that trained the served model version)",
    )
    p.add_argument("--window", default="1h", help="window length, e.g. 15min, 1h, 1d (1h)")
    p.add_argument("--psi-threshold", type=float, default=0.2, help="PSI above this drifts (0.2)")
    p.add_argument(
        "--p-value", type=float, default=0.01, help="a test's p-value below this drifts (0.01)"
    )
    p.add_argument("--features", help="comma-separated features to check (default: all)")
    p.add_argument(
        "--log",
        action="store_true",
        help="log the figures as metrics of the deployment's newest run",
    )
    p.add_argument(
        "--alert", action="store_true", help="store a WARN alert per newly drifted window"
    )
    p.add_argument(
        "--on-drift",
        metavar="PIPELINE",
        help="run this pipeline once for drifted windows it never ran for (alerts sent by "
        "an earlier --alert or lt.monitor do not count)",
    )
    p.set_defaults(func=monitor)


def monitor(args: argparse.Namespace) -> int:
    """Compute and print the windows table, the accuracy, and the drifted windows."""
    import pandas as pd

    from labtrack.production import monitor as monitoring
    from labtrack.tracking.client import TrackingClient

    if args.tracking_uri:  # on_drift's pipeline logs to the current store
        import labtrack as lt

        lt.set_tracking_uri(args.tracking_uri)
    features = None
    if args.features is not None:
        features = [name.strip() for name in args.features.split(",") if name.strip()]
    result = monitoring.compute(
        TrackingClient(args.tracking_uri),
        args.name,
        args.reference,
        args.window,
        args.psi_threshold,
        args.p_value,
        features,
        pipeline=monitoring.load_on_drift(args.on_drift),
        alert=args.alert,
        log=args.log,
    )
    print(repr(result))
    if result.windows.empty:
        print("no predictions logged yet")
        return 0
    with pd.option_context("display.width", 200, "display.max_rows", None):
        print(result.windows.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
        if not result.accuracy.empty:
            print("\nlive accuracy")
            print(result.accuracy.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    drifted = result.drifted_windows()
    for row in drifted.itertuples(index=False):
        print(f"drift at {row.window_start:%Y-%m-%d %H:%M} UTC: {', '.join(row.features)}")
    if result.pipeline_run_id:
        print(f"on_drift pipeline run: {result.pipeline_run_id}")
    return 0
