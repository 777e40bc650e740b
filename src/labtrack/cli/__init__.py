"""The ``labtrack`` command: list, show and export runs; sync and import stores; check, upgrade
and back up the store."""

from __future__ import annotations

import argparse
import sys

from labtrack.errors import LabtrackError


def build_parser() -> argparse.ArgumentParser:
    from labtrack.cli import commands

    parser = argparse.ArgumentParser(prog="labtrack", description=__doc__)
    parser.add_argument(
        "--tracking-uri", help="store to use (default: LABTRACK_TRACKING_URI, then ~/.labtrack)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("experiments", help="list experiments")
    p.add_argument("--all", action="store_true", help="include deleted experiments")
    p.set_defaults(func=commands.experiments)

    def add_selection(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "-e", "--experiment", action="append", help="experiment name (repeatable; default: all)"
        )
        p.add_argument(
            "-f",
            "--filter",
            default="",
            help="filter, e.g. \"metrics.acc > 0.9 and params.kernel = 'rbf'\"",
        )
        p.add_argument(
            "-o", "--order-by", action="append", help="e.g. 'metrics.acc DESC' (repeatable)"
        )
        p.add_argument("-n", "--max-results", type=int, default=None, help="at most this many runs")

    p = sub.add_parser("runs", help="list runs as a table")
    add_selection(p)
    p.add_argument(
        "-c",
        "--columns",
        help="comma-separated columns, e.g. run_name,status,params.lr,metrics.acc",
    )
    p.set_defaults(func=commands.runs)

    p = sub.add_parser("show", help="show one run: info, params, metrics, tags, artifacts")
    p.add_argument("run_id")
    p.set_defaults(func=commands.show)

    p = sub.add_parser("demo", help="log a short tracked demo and print its run table")
    p.add_argument("--experiment", default="labtrack-demo")
    p.set_defaults(func=commands.demo)

    # Larger command groups live in their own modules, each with add_commands(sub).
    import importlib

    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).add_commands(sub)
    return parser


# Each module adds its subcommands; it imports its heavy dependencies only when a command runs.
_COMMAND_MODULES: list[str] = [
    "labtrack.cli.db",
    "labtrack.cli.spool",
    "labtrack.cli.serve",
    "labtrack.cli.tracking_server",
    "labtrack.cli.projects",
    "labtrack.cli.pipeline",  # pipeline run, pipeline resume
    "labtrack.cli.transfer",  # sync, import, export
    "labtrack.cli.mlflow_alias",
    "labtrack.cli.report",
    "labtrack.cli.monitor",  # monitor NAME: a deployment's drift per window
]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except LabtrackError as error:
        print(f"labtrack: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `labtrack runs | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
