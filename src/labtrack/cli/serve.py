"""``labtrack serve MODEL_URI``: serve a model over REST (MLflow's scoring protocol)."""

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
    p.set_defaults(func=serve)


def _megabytes(text: str) -> float:
    """A positive number of megabytes, refused by argparse (with the option's name) otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of megabytes, got {text!r}")
    return value


def serve(args: argparse.Namespace) -> int:
    from labtrack.serving import serve as serve_model

    if args.tracking_uri:
        from labtrack.tracking.tracking_uri import set_tracking_uri

        set_tracking_uri(args.tracking_uri)
    try:
        serve_model(
            args.model_uri,
            port=args.port,
            host=args.host,
            log_level=args.log_level,
            max_body_mb=args.max_body_mb,
        )
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then passes Ctrl+C on
        print("labtrack: server stopped", file=sys.stderr)
    return 0
