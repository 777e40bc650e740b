"""``labtrack run`` and ``labtrack reproduce``: notebooks and MLproject folders as tracked runs."""

from __future__ import annotations

import argparse
import sys


def add_commands(sub) -> None:
    p = sub.add_parser(
        "run",
        help="run a notebook or an MLproject folder as a tracked run (a sweep when a -P has several values)",
        description="Run a notebook (papermill; values go after its cell tagged 'parameters') or an "
        "MLproject folder's entry point as one tracked run. A parameter given several "
        "values (-P lr=0.01,0.1) makes a sweep: every combination runs as a child run.",
    )
    p.add_argument(
        "target",
        metavar="NOTEBOOK_OR_FOLDER",
        help="a .ipynb file or a folder with an MLproject file",
    )
    p.add_argument(
        "-P",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE[,VALUE...]",
        help="a parameter value; several comma-separated values sweep it (\\, is a literal comma)",
    )
    p.add_argument(
        "-e",
        "--experiment",
        help="experiment name, created if new (default: the active experiment)",
    )
    p.add_argument("--entry-point", default="main", help="MLproject entry point (default: main)")
    p.add_argument("--run-name", help="run name (default: the notebook's or the project's name)")
    p.add_argument(
        "-j", "--jobs", type=int, default=1, help="sweep runs to execute at once (default: 1)"
    )
    p.add_argument("--metric", help="pick the best sweep run by this metric")
    direction = p.add_mutually_exclusive_group()
    direction.add_argument(
        "--maximize",
        dest="maximize",
        action="store_const",
        const=True,
        help="higher is better (the default, unless the metric looks like a loss or error)",
    )
    direction.add_argument(
        "--minimize", dest="maximize", action="store_const", const=False, help="lower is better"
    )
    p.add_argument(
        "--kernel", help="Jupyter kernel for notebooks (default: this Python interpreter)"
    )
    p.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where sweep runs execute: processes here (default), or tasks on a Dask cluster "
        "(a LocalCluster of worker processes here unless --scheduler is given)",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786")
    p.add_argument(
        "--sampler",
        choices=("grid", "random", "optuna"),
        default="grid",
        help="grid: every combination (default); random: --trials draws from ranges "
        "(-P lr=loguniform:1e-4:1e-1, uniform:A:B, int:A:B) and values (-P layers=1,2,3); "
        "optuna: TPE picks each trial by --metric (needs --executor dask)",
    )
    p.add_argument("--trials", type=int, help="points a random or optuna sweep runs")
    p.add_argument("--seed", type=int, help="seed of the random or optuna sampler")
    p.add_argument(
        "--early-stop",
        metavar="METRIC[:min|max]",
        help="on Dask: stop a run whose METRIC at its latest step is worse than the median "
        "of the finished runs at that step",
    )
    p.set_defaults(func=run)

    p = sub.add_parser(
        "reproduce", help="run a recorded run again, from its recorded source and parameters"
    )
    p.add_argument("run_id")
    p.add_argument(
        "--run-name", help="name of the new run (default: the original's, marked reproduced)"
    )
    p.set_defaults(func=reproduce)


def run(args: argparse.Namespace) -> int:
    from labtrack.projects.parameters import parse_assignments
    from labtrack.projects.runner import Outcome

    _use_store(args)
    given = {
        name: _given(name, values, args.sampler)
        for name, values in parse_assignments(args.param).items()
    }
    try:
        result = _execute(args, given)
    except KeyboardInterrupt:  # the runs were recorded KILLED on the way out
        print("labtrack: interrupted; the runs under way were stopped (KILLED)", file=sys.stderr)
        return 130
    outcomes = [result] if isinstance(result, Outcome) else result.outcomes
    width = max(len(outcome.run_name) for outcome in outcomes)
    for outcome in outcomes:
        line = f"{outcome.status:<8}  {outcome.run_name:<{width}}  {outcome.run_id}  {outcome.seconds:6.1f}s"
        print(line + (f"  {outcome.error}" if outcome.error else ""))
    stopped = set() if isinstance(result, Outcome) else result.stopped
    if not isinstance(result, Outcome):
        _print_best(result)
    failed = [o for o in outcomes if o.status != "FINISHED" and o.run_id not in stopped]
    if failed:
        print(f"labtrack: {len(failed)} of {len(outcomes)} runs failed", file=sys.stderr)
    return 1 if failed else 0


def _execute(args: argparse.Namespace, given: dict):
    from labtrack.projects import execute

    return execute(
        args.target,
        args.entry_point,
        given,
        experiment_name=args.experiment,
        run_name=args.run_name,
        jobs=args.jobs,
        metric=args.metric,
        maximize=args.maximize,
        kernel_name=args.kernel,
        executor=args.executor,
        scheduler=args.scheduler,
        sampler=args.sampler,
        trials=args.trials,
        seed=args.seed,
        early_stop=args.early_stop,
    )


def _given(name: str, values: list[str], sampler: str):
    """One -P's value: a list sweeps (or is a choice), one value is fixed; for a sampler, a
    range or ``choice:a,b`` is kept whole (its commas split no sweep)."""
    from labtrack.projects.sampling import parse_distribution

    if sampler != "grid" and parse_distribution(name, ",".join(values)) is not None:
        return ",".join(values)
    return values if len(values) > 1 else values[0]


def _print_best(result) -> None:
    print(f"sweep run {result.parent_run_id}: {len(result.outcomes)} runs")
    if result.metric and result.best is None:
        print(f"no finished run logged the metric {result.metric!r}", file=sys.stderr)
    elif result.best is not None:
        direction = "max" if result.maximize else "min"
        print(
            f"best by {result.metric} ({direction}): {result.best.run_name!r} "
            f"({result.best.run_id}) {result.metric}={result.best_value:g}"
        )


def reproduce(args: argparse.Namespace) -> int:
    from labtrack.projects import reproduce as reproduce_run

    _use_store(args)
    run = reproduce_run(args.run_id, run_name=args.run_name)
    print(f"{run.info.status}  {run.info.run_name}  {run.info.run_id}  (reproduces {args.run_id})")
    return 0


def _use_store(args: argparse.Namespace) -> None:
    if args.tracking_uri:
        import labtrack as lt

        lt.set_tracking_uri(args.tracking_uri)
