"""``labtrack server``: a tracking server that speaks MLflow's REST API."""

from __future__ import annotations

import argparse
import sys


def add_commands(sub) -> None:
    p = sub.add_parser(
        "server",
        help="serve a store over HTTP with MLflow's REST API (MLFLOW_TRACKING_URI=http://...)",
        description="Serve a store over HTTP with MLflow's REST API (/api/2.0/mlflow/...) and "
        "proxy its artifacts (/api/2.0/mlflow-artifacts/...), so that clients need no database "
        "or bucket credentials. Example: labtrack server --backend-store-uri "
        "postgresql://user:pw@db/labtrack --artifacts-destination s3://bucket/artifacts",
    )
    p.add_argument(
        "--backend-store-uri",
        help="store to serve: sqlite:///path.db or postgresql://... (default: --tracking-uri, "
        "LABTRACK_TRACKING_URI, then ~/.labtrack)",
    )
    p.add_argument(
        "--artifacts-destination",
        help="where new experiments keep their artifacts: a folder, file://, s3://, gs:// or "
        "az:// URI (default: LABTRACK_ARTIFACTS_URI, else the folder beside the store)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 exposes the store)",
    )
    p.add_argument("-p", "--port", type=int, default=5000, help="port to listen on (default 5000)")
    p.add_argument(
        "-w", "--workers", type=_positive, default=1, help="server processes (default 1)"
    )
    p.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    p.add_argument(
        "--auth",
        action="store_true",
        help="require a user name and password or a token on every request, and enforce "
        "permissions per experiment and registered model (users: `labtrack server users`)",
    )
    p.add_argument(
        "--default-permission",
        type=str.upper,
        choices=("READ", "EDIT", "MANAGE", "NO_PERMISSIONS"),
        help="with --auth: what a user may do where they have no grant (default READ, as in "
        "MLflow; LABTRACK_SERVER_DEFAULT_PERMISSION)",
    )
    p.set_defaults(func=server)
    # `labtrack server users ...`: who may use an authenticating server (--auth).
    from labtrack.cli.server_users import add_users_command

    add_users_command(p.add_subparsers(dest="server_action", metavar="ACTION"))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def server(args: argparse.Namespace) -> int:
    from labtrack.tracking_server import serve

    try:
        serve(
            args.backend_store_uri or args.tracking_uri,
            args.artifacts_destination,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            auth=args.auth,
            default_permission=args.default_permission,
        )
    except KeyboardInterrupt:
        print("labtrack: server stopped", file=sys.stderr)
    return 0
