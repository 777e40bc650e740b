"""``labtrack pipeline run`` and ``labtrack pipeline resume``: a pipeline of notebooks and
entry points as a parent run with a child run per step."""

from __future__ import annotations

import argparse
import sys


def add_commands(sub) -> None:
    p = sub.add_parser(
        "pipeline",
        help="run or resume a pipeline (pipeline.yaml, or an MLproject's pipeline: section)",
    )
    commands = p.add_subparsers(dest="pipeline_command", required=True, metavar="COMMAND")

    def add_execution(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--executor",
            choices=["local", "dask"],
            default="local",
            help="local processes (default), or tasks on a Dask cluster",
        )
        p.add_argument(
            "--scheduler",
            help="Dask scheduler address, e.g. tcp://host:8786 (default: a LocalCluster here)",
        )
        p.add_argument(
            "-j", "--jobs", type=int, help="local steps to run at once (default: all ready ones)"
        )

    p = commands.add_parser(
        "run",
        help="run a pipeline: a parent run, a child run per step",
        description="Run every step of a pipeline in dependency order (independent steps at "
        "once), as child runs of one parent run. A step whose code, parameters and inputs are "
        "unchanged reuses its earlier run unless --no-cache.",
    )
    p.add_argument("pipeline", metavar="PIPELINE", help="pipeline.yaml, an MLproject, or a folder")
    p.add_argument(
        "-P",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for a parameter the pipeline declares",
    )
    p.add_argument("-e", "--experiment", help="experiment name, created if new")
    p.add_argument("--run-name", help="the parent run's name (default: '<pipeline> pipeline')")
    p.add_argument("--no-cache", action="store_true", help="execute every step, reuse none")
    add_execution(p)
    p.set_defaults(func=run)

    p = commands.add_parser(
        "resume",
        help="run a pipeline run again from its failed step (the steps that succeeded are reused)",
    )
    p.add_argument("run_id", help="the pipeline's parent run")
    add_execution(p)
    p.set_defaults(func=resume)


def run(args: argparse.Namespace) -> int:
    from labtrack.errors import InvalidParameter
    from labtrack.pipelines import run_pipeline
    from labtrack.projects.parameters import parse_assignments

    _use_store(args)
    given = {}
    for name, values in parse_assignments(args.param).items():
        if len(values) > 1:
            raise InvalidParameter(f"-P {name}: a pipeline parameter takes one value")
        given[name] = values[0]
    result = run_pipeline(
        args.pipeline,
        given,
        experiment_name=args.experiment,
        run_name=args.run_name,
        executor=args.executor,
        scheduler=args.scheduler,
        jobs=args.jobs,
        cache=not args.no_cache,
    )
    return _report(result)


def resume(args: argparse.Namespace) -> int:
    from labtrack.pipelines import resume_pipeline

    _use_store(args)
    result = resume_pipeline(
        args.run_id, executor=args.executor, scheduler=args.scheduler, jobs=args.jobs
    )
    return _report(result)


def _report(result) -> int:
    """A line per step, then the parent run; 1 if any step failed."""
    width = max(len(name) for name in result.steps)
    for name, step in result.steps.items():
        how = f"reused {step.source_run_id}" if step.reused else (step.run_id or "-")
        line = f"{step.status:<9} {name:<{width}}  {how}"
        print(line + (f"  {step.error}" if step.error and step.status != "FINISHED" else ""))
    print(f"pipeline run {result.parent_run_id}: {result.status}")
    if result.failed:
        print(
            f"labtrack: {len(result.failed)} of {len(result.steps)} steps did not finish; "
            f"labtrack pipeline resume {result.parent_run_id} runs them again",
            file=sys.stderr,
        )
    return 1 if result.failed else 0


def _use_store(args: argparse.Namespace) -> None:
    if args.tracking_uri:
        import labtrack as lt

        lt.set_tracking_uri(args.tracking_uri)
