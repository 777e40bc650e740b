"""What each ``labtrack`` sub-command does; every one reads through the tracking API."""

from __future__ import annotations

import argparse
import sys

from labtrack.entities import ViewType
from labtrack.errors import NotFound

DEFAULT_COLUMNS = ("run_id", "tags.mlflow.runName", "status", "start_time", "duration")


def _client(args: argparse.Namespace):
    from labtrack.tracking.client import TrackingClient

    return TrackingClient(args.tracking_uri)


def experiments(args: argparse.Namespace) -> int:
    import pandas as pd

    view = ViewType.ALL if args.all else ViewType.ACTIVE_ONLY
    rows = [
        {
            "experiment_id": e.experiment_id,
            "name": e.name,
            "lifecycle_stage": e.lifecycle_stage,
            "created": pd.to_datetime(e.creation_time, unit="ms", utc=True),
        }
        for e in _client(args).search_experiments(view)
    ]
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


def _search(args: argparse.Namespace):
    client = _client(args)
    if args.experiment:
        ids = []
        for name in args.experiment:
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise NotFound(f"no experiment named {name!r}")
            ids.append(experiment.experiment_id)
    else:
        ids = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs_frame(
        ids, args.filter, ViewType.ACTIVE_ONLY, args.max_results, args.order_by
    )


def runs(args: argparse.Namespace) -> int:
    frame = _search(args)
    if frame.empty:
        print("no runs match", file=sys.stderr)
        return 0
    frame = frame.assign(duration=(frame["end_time"] - frame["start_time"]).dt.round("s"))
    columns = (
        [c.strip() for c in args.columns.split(",")]
        if args.columns
        else [c for c in DEFAULT_COLUMNS if c in frame]
        + sorted(c for c in frame if c.startswith(("metrics.", "params.")))
    )
    missing = [c for c in columns if c not in frame and c != "run_name"]
    if missing:
        print(
            f"labtrack: unknown columns {missing}; available: {', '.join(frame.columns)}",
            file=sys.stderr,
        )
        return 2
    frame = frame.rename(columns={"tags.mlflow.runName": "run_name"})
    columns = ["run_name" if c == "tags.mlflow.runName" else c for c in columns]
    print(frame[columns].to_string(index=False))
    return 0


def show(args: argparse.Namespace) -> int:
    import pandas as pd

    client = _client(args)
    run = client.get_run(args.run_id)
    info = run.info
    print(f"run {info.run_id}  {info.run_name!r}  [{info.status}]")
    print(f"  experiment  {info.experiment_id}")
    print(f"  started     {pd.to_datetime(info.start_time, unit='ms', utc=True)}")
    if info.end_time:
        print(f"  ended       {pd.to_datetime(info.end_time, unit='ms', utc=True)}")
    print(f"  artifacts   {info.artifact_uri}")
    for title, values in (
        ("params", run.data.params),
        ("metrics", run.data.metrics),
        ("tags", run.data.tags),
    ):
        if values:
            print(f"{title}:")
            width = max(len(k) for k in values)
            for key in sorted(values):
                print(f"  {key:<{width}}  {values[key]}")
    artifacts = client.list_artifacts(info.run_id)
    if artifacts:
        print("artifacts:")
        for item in artifacts:
            print(f"  {item.path}{'/' if item.is_dir else ''}  {item.file_size or ''}")
    return 0


def export(args: argparse.Namespace) -> int:
    frame = _search(args)
    output = args.output or sys.stdout
    if args.format == "csv":
        frame.to_csv(output, index=False)
    else:
        frame.to_json(output, orient="records", date_format="iso", indent=2)
        if output is sys.stdout:
            print()
    return 0


def demo(args: argparse.Namespace) -> int:
    """A few tracked runs of a toy training loop, then the run table."""
    import math
    import random

    import labtrack as lt

    if args.tracking_uri:
        lt.set_tracking_uri(args.tracking_uri)
    lt.set_experiment(args.experiment)
    for lr in (0.3, 0.1, 0.03):
        with lt.start_run(run_name=f"lr={lr}"):
            lt.log_params({"lr": lr, "epochs": 20})
            loss = 1.0
            for epoch in range(20):
                loss *= 1 - lr * (0.5 + random.random() / 2)
                lt.log_metrics(
                    {"loss": loss, "accuracy": 1 - loss / 2 + math.sin(epoch) / 100}, step=epoch
                )
    args.experiment = [args.experiment]
    args.filter, args.order_by, args.max_results, args.columns = (
        "",
        ["metrics.loss ASC"],
        None,
        None,
    )
    print(f"logged 3 runs to {lt.get_tracking_uri()}\n")
    return runs(args)
