"""``labtrack serve MODEL_URI``: serve a model over REST (MLflow's scoring protocol), as a
recorded deployment with ``--deployment NAME``; ``labtrack deployments``: list them, and
``labtrack deployments stop NAME`` stops one served on this machine."""

from __future__ import annotations

import argparse
import sys


def add_commands(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="serve a model over REST: POST /invocations, GET /health, GET /version",
        description="Serve a model over REST. Examples: labtrack serve models:/iris@champion --port 5001; "
        "labtrack serve runs:/<run_id>/model",
    )
    p.add_argument(
        "model_uri",
        help="runs:/<run_id>/<name>, models:/<name>/<version>, models:/<name>@<alias>, "
        "models:/<name>/<stage>, models:/<name>/latest, or a folder",
    )
    p.add_argument(
        "-p",
        "--port",
        type=int,
        default=5001,
        help="port to listen on (default 5001; 0: any free port)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 exposes the model)",
    )
    p.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    p.add_argument(
        "--max-body-mb",
        type=_megabytes,
        metavar="MB",
        help="largest request body to read, in megabytes; a larger one is refused "
        "with 413 (default: LABTRACK_SERVE_MAX_BODY_MB, else 50)",
    )
    p.add_argument(
        "--deployment",
        metavar="NAME",
        help="record the server as deployment NAME while it serves (lt.deployments(), the "
        "sidebar): model version, URL, traffic; a models:/<name>@<alias> model follows its alias",
    )
    p.add_argument(
        "--log-predictions",
        action="store_true",
        help="keep the requests and predictions as Parquet artifacts of the deployment's run "
        "(for lt.monitor); needs --deployment",
    )
    p.add_argument(
        "--sample-rate",
        type=_rate,
        default=1.0,
        metavar="R",
        help="share of the requests --log-predictions keeps, 0 < R <= 1 (default 1)",
    )
    p.set_defaults(func=serve)

    p = sub.add_parser(
        "deployments",
        help="list deployments (labtrack serve --deployment), or stop one served here",
        description="List the deployments recorded in the store, newest first; "
        "`labtrack deployments stop NAME` stops one that `labtrack serve` runs on this machine.",
    )
    p.set_defaults(func=list_deployments)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    stop = actions.add_parser("stop", help="stop a deployment served on this machine")
    stop.add_argument("name")
    stop.add_argument(
        "--timeout",
        type=float,
        default=15.0,
        help="seconds to wait for the server to exit (default 15)",
    )
    stop.set_defaults(func=stop_deployment)


def _megabytes(text: str) -> float:
    """A positive number of megabytes, refused by argparse (with the option's name) otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of megabytes, got {text!r}")
    return value


def _rate(text: str) -> float:
    """A share in (0, 1], refused by argparse otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {text!r}")
    return value


def _use_store(args: argparse.Namespace) -> None:
    if args.tracking_uri:
        from labtrack.tracking.tracking_uri import set_tracking_uri

        set_tracking_uri(args.tracking_uri)


def serve(args: argparse.Namespace) -> int:
    from labtrack.errors import InvalidParameter
    from labtrack.serving import serve as serve_model

    if args.log_predictions and not args.deployment:
        raise InvalidParameter("--log-predictions needs --deployment NAME")
    _use_store(args)
    try:
        serve_model(
            args.model_uri,
            port=args.port,
            host=args.host,
            log_level=args.log_level,
            max_body_mb=args.max_body_mb,
            deployment=args.deployment,
            log_predictions=args.log_predictions,
            sample_rate=args.sample_rate,
        )
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then passes Ctrl+C on
        print("labtrack: server stopped", file=sys.stderr)
    return 0


_COLUMNS = ["name", "status", "model_uri", "model_version", "url", "host", "requests", "last_seen"]


def list_deployments(args: argparse.Namespace) -> int:
    """Print the deployments as a table, newest first."""
    import pandas as pd

    from labtrack.production import deployments
    from labtrack.tracking.client import TrackingClient

    _use_store(args)
    frame = deployments(TrackingClient())
    if frame.empty:
        print("no deployments (labtrack serve MODEL_URI --deployment NAME records one)")
        return 0
    frame["last_seen"] = pd.to_datetime(frame["last_seen"], unit="ms", utc=True).dt.strftime(
        "%Y-%m-%d %H:%M:%S UTC"
    )
    print(frame[_COLUMNS].fillna("").to_string(index=False))
    return 0


def stop_deployment(args: argparse.Namespace) -> int:
    """Stop a deployment ``labtrack serve`` runs on this machine."""
    from labtrack.production.record import stop_local
    from labtrack.tracking.client import TrackingClient

    _use_store(args)
    deployment = stop_local(TrackingClient(), args.name, timeout=args.timeout)
    print(f"labtrack: deployment {deployment.name} stopped ({deployment.status})")
    return 0
