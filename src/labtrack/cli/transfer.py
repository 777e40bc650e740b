"""``labtrack sync``, ``labtrack import`` and ``labtrack export``: data in and out of labtrack
(``labtrack.transfer``)."""

from __future__ import annotations

import argparse
import sys


def add_commands(sub) -> None:
    """Add ``sync``, ``import`` and ``export`` to the ``labtrack`` command."""
    p = sub.add_parser(
        "sync",
        help="copy experiments, runs (ids kept), metrics, artifacts and the registry between "
        "labtrack stores (SQLite, PostgreSQL, labtrack server)",
    )
    p.add_argument("src", help="the store to copy from (a path or URI)")
    p.add_argument("dst", help="the store to copy to (a path or URI)")
    _selection(p)
    p.add_argument(
        "--registry", action="store_true", help="also copy the registered models and versions"
    )
    p.set_defaults(func=sync)

    p = sub.add_parser(
        "import",
        help="import an MLflow store (`import mlflow SRC`), TensorBoard logs "
        "(`import tensorboard LOGDIR`) or a bundle (`import FILE.zip`)",
    )
    p.add_argument("what", metavar="mlflow|tensorboard|FILE.zip")
    p.add_argument("source", nargs="?", help="the MLflow store, or the TensorBoard log folder")
    p.add_argument("--experiment", action="append", help="experiment name (repeatable)")
    p.set_defaults(func=import_)

    p = sub.add_parser(
        "export",
        help="export runs to CSV or JSON, to MLflow (--to mlflow DEST), or as a bundle "
        "(--bundle FILE.zip)",
    )
    p.add_argument(
        "-e", "--experiment", action="append", help="experiment name (repeatable; default: all)"
    )
    p.add_argument("-f", "--filter", default="", help='filter, e.g. "metrics.acc > 0.9" (CSV/JSON)')
    p.add_argument("-o", "--order-by", action="append", help="e.g. 'metrics.acc DESC' (CSV/JSON)")
    p.add_argument("-n", "--max-results", type=int, default=None, help="at most this many runs")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--output", help="file to write (default: standard output)")
    p.add_argument(
        "--to",
        choices=("mlflow",),
        help="copy to MLflow: DEST is an MLflow server URL or an mlruns folder",
    )
    p.add_argument("dest", nargs="?", help="with --to mlflow: where to")
    p.add_argument("--bundle", metavar="FILE.zip", help="write one portable zip")
    p.add_argument("--run", action="append", help="with --bundle: a run id (repeatable)")
    p.add_argument("--registry", action="store_true", help="with --to mlflow: also the registry")
    p.add_argument("--since", help="with --to mlflow: only runs started or ended since DATE")
    p.set_defaults(func=export)


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--experiment", action="append", help="experiment name (repeatable; default: all)"
    )
    p.add_argument(
        "--since", metavar="DATE", help="only runs started or ended since DATE (e.g. 2026-01-31)"
    )


def _progress() -> bool:
    return sys.stderr.isatty()


def sync(args: argparse.Namespace) -> int:
    """``labtrack sync SRC DST``."""
    from labtrack.transfer.copy import sync as copy

    report = copy(
        args.src,
        args.dst,
        experiments=args.experiment,
        since=args.since,
        registry=args.registry,
        progress=_progress(),
    )
    print(report.summary())
    return 0


def import_(args: argparse.Namespace) -> int:
    """``labtrack import mlflow SRC``, ``labtrack import tensorboard LOGDIR`` and
    ``labtrack import FILE.zip``."""
    from labtrack.client import Client
    from labtrack.errors import InvalidParameter

    client = Client(args.tracking_uri)
    if args.what in ("mlflow", "tensorboard"):
        if not args.source:
            raise InvalidParameter(f"labtrack import {args.what} needs a source")
        if args.what == "tensorboard":
            from labtrack.transfer.tensorboard import import_tensorboard

            names = args.experiment or [None]
            if len(names) > 1:
                raise InvalidParameter("labtrack import tensorboard takes one --experiment")
            run_ids = import_tensorboard(args.source, client, experiment_name=names[0])
            print(f"{len(run_ids)} runs imported from {args.source}")
            return 0
        from labtrack.transfer.mlflow import import_mlflow

        report = import_mlflow(
            args.source, client, experiments=args.experiment, progress=_progress()
        )
    else:
        if args.source:
            raise InvalidParameter(
                f"unknown import {args.what!r}: use `import mlflow SRC`, "
                "`import tensorboard LOGDIR` or `import FILE.zip`"
            )
        from labtrack.transfer.bundle import import_bundle

        report = import_bundle(args.what, client, progress=_progress())
    print(report.summary())
    return 0


def export(args: argparse.Namespace) -> int:
    """``labtrack export``: CSV/JSON (the default), ``--to mlflow DEST``, ``--bundle FILE``."""
    from labtrack.errors import InvalidParameter

    if args.to and args.bundle:
        raise InvalidParameter("choose one of --to mlflow and --bundle")
    if args.bundle:
        from labtrack.client import Client
        from labtrack.transfer.bundle import export_bundle

        if not (args.run or args.experiment):
            raise InvalidParameter("--bundle needs --run ID or --experiment NAME")
        count = export_bundle(
            args.bundle,
            Client(args.tracking_uri),
            runs=args.run,
            experiments=args.experiment,
        )
        print(f"{count} runs written to {args.bundle}")
        return 0
    if args.to:
        if not args.dest:
            raise InvalidParameter("labtrack export --to mlflow needs DEST (a URL or a folder)")
        from labtrack.client import Client
        from labtrack.transfer.mlflow import export_mlflow

        report = export_mlflow(
            Client(args.tracking_uri),
            args.dest,
            experiments=args.experiment,
            since=args.since,
            registry=args.registry,
            progress=_progress(),
        )
        print(report.summary())
        return 0
    if args.dest or args.run:
        raise InvalidParameter("DEST and --run go with --to mlflow and --bundle")
    from labtrack.cli import commands

    return commands.export(args)
