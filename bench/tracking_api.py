"""The workloads, written once against MLflow's tracking API, which labtrack shares.

``workloads_labtrack.py`` and ``workloads_mlflow.py`` run these with a ``Tracker``: the
module (``labtrack`` or ``mlflow``) plus the few things the two do differently (how a fresh
store is made, what "everything is persisted" means). Each workload takes its size and a
scratch folder and returns {"figures": {name: {"median", "samples"}}, ...extras}.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from common import (
    clock,
    import_cost,
    metric_keys,
    metric_rows,
    metric_value,
    modules_loaded_by,
    now_ms,
    repeat,
    repetition_dir,
    run_params,
    run_tags,
    store_bytes,
)

BATCH = 1_000  # MLflow's limit of metrics per log_batch call


@dataclass
class Tracker:
    """An MLflow-API tracking module and what differs between implementations of it."""

    name: str
    # Point the module at a new, empty store in the given folder; return the database file.
    use_store: Callable[[Path], Path]
    # Block until everything logged so far is persisted; None where logging is synchronous.
    settle: Callable[[], None] | None = None
    module: ModuleType = field(init=False)

    def __post_init__(self) -> None:
        self.module = importlib.import_module(self.name)
        self.entities = importlib.import_module(f"{self.name}.entities")

    def client(self):
        return self.module.MlflowClient()

    def wait_until_persisted(self) -> None:
        if self.settle:
            self.settle()

    def workloads(self) -> dict[str, Callable[[dict, Path], dict]]:
        return {
            "import": self.import_time,
            "hot_loop": self.hot_loop,
            "many_runs": self.many_runs,
            "search": self.search,
            "history": self.history,
        }

    # -- workloads ----------------------------------------------------------------------

    def import_time(self, size: dict, base: Path) -> dict:
        return {
            "figures": import_cost(self.name, size["repeats"]),
            "modules_after_import": modules_loaded_by(self.name),
        }

    def hot_loop(self, size: dict, base: Path) -> dict:
        """One run; ``log_metric`` per point. Caller cost, then time until all is persisted."""
        rows = metric_rows(size["keys"], size["steps"])
        api = self.module

        def once(i: int) -> dict[str, float]:
            self.use_store(repetition_dir(base, i))
            api.set_experiment("hot-loop")
            log_metric = api.log_metric
            with api.start_run():
                start = clock()
                for key, value, step in rows:
                    log_metric(key, value, step=step)
                looped = clock()
                self.wait_until_persisted()
                persisted = clock()
            figures = {
                "caller_us_per_point": (looped - start) / len(rows) * 1e6,
                "loop_s": looped - start,
                "persisted_s": persisted - start,
            }
            if self.settle:
                figures["flush_s"] = persisted - looped
            return figures

        return {"figures": repeat(size["repeats"], once), "points": len(rows)}

    def many_runs(self, size: dict, base: Path) -> dict:
        """``runs`` runs, each in a ``with start_run()`` block: params, tags, per-point metrics."""
        rows = metric_rows(size["keys"], size["steps"])
        api = self.module

        def once(i: int) -> dict[str, float]:
            database = self.use_store(repetition_dir(base, i))
            api.set_experiment("many-runs")
            empty = store_bytes(database)
            start = clock()
            for run in range(size["runs"]):
                with api.start_run():
                    api.log_params(run_params(run, size["params"]))
                    api.set_tags(run_tags(run, size["tags"]))
                    for key, value, step in rows:
                        api.log_metric(key, value, step=step)
            self.wait_until_persisted()
            total = clock() - start
            return {
                "total_s": total,
                "store_bytes": store_bytes(database),
                "empty_store_bytes": empty,
            }

        return {"figures": repeat(size["repeats"], once)}

    def search(self, size: dict, base: Path) -> dict:
        """``search_runs`` into a DataFrame over ``runs`` runs built beforehand (untimed)."""
        self.use_store(repetition_dir(base, 0))
        client = self.client()
        experiment_id = client.create_experiment("search")
        e = self.entities
        start = clock()
        timestamp = now_ms()
        keys = metric_keys(size["keys"])
        for run in range(size["runs"]):
            run_id = client.create_run(experiment_id).info.run_id
            client.log_batch(
                run_id,
                metrics=[
                    e.Metric(key, metric_value(k, 99), timestamp, 99) for k, key in enumerate(keys)
                ],
                params=[e.Param(k, v) for k, v in run_params(run, size["params"]).items()],
                tags=[e.RunTag(k, v) for k, v in run_tags(run, size["tags"]).items()],
            )
            client.set_terminated(run_id)
        self.wait_until_persisted()
        build_s = clock() - start

        shape = {}

        def query() -> float:
            began = clock()
            frame = self.module.search_runs(experiment_names=["search"])
            elapsed = clock() - began
            if len(frame) != size["runs"]:
                raise AssertionError(
                    f"search_runs returned {len(frame)} rows, expected {size['runs']}"
                )
            shape["columns"] = len(frame.columns)
            return elapsed

        first = query()  # the first call in a process pays one-off costs (imports, caches)
        figures = repeat(size["repeats"], lambda _: {"query_s": query()})
        overhead = max(0.0, first - figures["query_s"]["median"])
        figures["first_call_overhead_s"] = {"median": overhead, "samples": [overhead]}
        return {"figures": figures, "build_s": build_s, **shape}

    def history(self, size: dict, base: Path) -> dict:
        """``get_metric_history`` of one metric with ``points`` points (logged beforehand)."""
        self.use_store(repetition_dir(base, 0))
        client = self.client()
        run_id = client.create_run(client.create_experiment("history")).info.run_id
        timestamp = now_ms()
        points = [
            self.entities.Metric("loss", metric_value(0, s), timestamp, s)
            for s in range(size["points"])
        ]
        for first in range(0, len(points), BATCH):
            client.log_batch(run_id, metrics=points[first : first + BATCH])
        client.set_terminated(run_id)
        self.wait_until_persisted()

        def once(_: int) -> dict[str, float]:
            start = clock()
            history = client.get_metric_history(run_id, "loss")
            elapsed = clock() - start
            if len(history) != size["points"]:
                raise AssertionError(
                    f"history has {len(history)} points, expected {size['points']}"
                )
            return {"read_s": elapsed}

        once(-1)  # warm-up: the first read of a process opens connections
        return {"figures": repeat(size["repeats"], once)}
