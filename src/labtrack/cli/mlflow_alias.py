"""``labtrack exec SCRIPT [ARGS...]``: run an unchanged MLflow script, ``import mlflow`` giving
labtrack (see ``labtrack.mlflow_alias``)."""

from __future__ import annotations

import argparse
import traceback


def add_commands(sub) -> None:
    """Add ``exec`` to the ``labtrack`` command."""
    from labtrack.mlflow_alias import add_arguments

    p = sub.add_parser(
        "exec",
        help="run an MLflow script unchanged: `import mlflow` gives labtrack",
        description="Run a Python script (or, with -m, a module) as `python` would, with "
        "`import mlflow` and its submodules resolving to labtrack's. MLFLOW_TRACKING_URI and "
        "the other MLFLOW_* variables are honoured; --tracking-uri overrides them.",
    )
    add_arguments(p)
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace) -> int:
    """Run the script; its uncaught exception is printed with its traceback (exit status 1),
    as Python prints it, not turned into a one-line labtrack error."""
    from labtrack.mlflow_alias import check_target, run

    check_target(args.target, args.module)  # a bad name is labtrack's error, not the script's
    if args.tracking_uri:
        from labtrack.tracking.tracking_uri import set_tracking_uri

        set_tracking_uri(args.tracking_uri)
    try:
        run(args.target, args.args, module=args.module)
    except Exception:
        traceback.print_exc()
        return 1
    return 0
