"""Running a sweep's points (and pipeline steps) as tasks on a Dask cluster.

Each point is one task: in a worker process it runs ``run_target`` (the same code as a
local sweep: it creates the child run, executes the notebook or entry point in a child
process and records the outcome) against the shared store, whose URI the task carries.
The parent run stays on the client side.

The parent run's status is the go signal. A task does nothing once the parent is no longer
RUNNING, and a watcher thread beside each running point ends its process when the parent
ends (Ctrl+C on the client marks it KILLED) or when the early-stopping rule says so: the
run is then recorded KILLED by ``run_target``, as for an interrupt.

``distributed`` is imported only here and only when used.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labtrack import env
from labtrack.entities import RunStatus
from labtrack.errors import InvalidParameter
from labtrack.projects.early_stop import STOPPED_TAG, EarlyStop
from labtrack.projects.processes import ChildProcesses
from labtrack.projects.runner import Outcome, Target, run_target
from labtrack.projects.sampling import FAILED
from labtrack.tracking.validation import ERROR_TAG, error_tag_value

if TYPE_CHECKING:
    import distributed

    from labtrack.tracking.client import TrackingClient

PARENT_TAG = "mlflow.parentRunId"
# How often a running point's watcher reads the store.
WATCH_SECONDS = 0.5
# After an interrupt, how long the workers get to record their runs as KILLED.
RECORD_GRACE_SECONDS = 30.0
_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


def dask_client(executor: Any, scheduler: str | None = None) -> tuple[distributed.Client, bool]:
    """The Dask client for ``executor`` and whether the caller owns it (must close it).

    ``executor`` is a ``distributed.Client`` (used as is), ``"dask"`` (the scheduler at
    ``scheduler`` if given, else a new ``LocalCluster`` of worker processes on this machine),
    or a scheduler address such as ``"tcp://host:8786"``.
    """
    try:
        import distributed
    except ImportError:
        raise InvalidParameter(
            "the dask executor needs Dask: pip install 'labtrack[dask]'"
        ) from None
    if isinstance(executor, distributed.Client):
        if scheduler:
            raise InvalidParameter("give a scheduler address or a Client, not both")
        return executor, False
    if isinstance(executor, str) and executor.startswith(_SCHEMES):
        executor, scheduler = "dask", executor
    if executor != "dask":
        raise InvalidParameter(
            f"executor must be 'local', 'dask', a scheduler address or a distributed.Client, "
            f"got {executor!r}"
        )
    if scheduler:
        try:
            return distributed.Client(scheduler, timeout="20s"), True
        except OSError as error:
            raise InvalidParameter(f"no Dask scheduler at {scheduler!r}: {error}") from None
    cluster = distributed.LocalCluster(
        n_workers=min(os.cpu_count() or 1, 4),
        threads_per_worker=1,
        processes=True,  # each point in its own worker process, as on a cluster
        dashboard_address=":0",  # a free port: several sweeps (or notebooks) at once
    )
    try:
        client = distributed.Client(cluster)
    except BaseException:
        cluster.close()  # not left running behind an error
        raise
    client.labtrack_owns_cluster = cluster
    return client, True


def close_client(client: distributed.Client) -> None:
    """Close a client ``dask_client`` made, and the LocalCluster it started, if any."""
    cluster = getattr(client, "labtrack_owns_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def worker_threads(client: distributed.Client) -> int:
    """How many tasks the cluster runs at once (waiting up to a minute for a first worker)."""
    client.wait_for_workers(1, timeout=60)
    workers = client.scheduler_info()["workers"]
    return max(1, sum(worker.get("nthreads", 1) for worker in workers.values()))


def check_cluster(client: distributed.Client, store: TrackingClient, target: Target) -> None:
    """Refuse, before anything is submitted, a cluster whose workers could not reach the
    store or the target: a SQLite file or a local artifact root when a worker runs on
    another host, a notebook or project folder a worker does not see at the same path."""
    client.wait_for_workers(1, timeout=60)
    here = _this_host()
    elsewhere = sorted({host for host in client.run(socket.gethostname).values() if host != here})
    if elsewhere:
        if store.database_path is not None:
            raise InvalidParameter(
                f"the store is the SQLite file {store.database_path}, which Dask workers on "
                f"{', '.join(elsewhere)} cannot share: log to PostgreSQL or a `labtrack "
                "server` (--tracking-uri) to run on that cluster"
            )
        root = env.ARTIFACTS_URI.get()
        if root and "://" not in root:
            raise InvalidParameter(
                f"the artifact root {root} is a local folder, which Dask workers on "
                f"{', '.join(elsewhere)} cannot write: use s3://, gs:// or az://"
            )
    folder = str(target.source_folder)
    blind = sorted(w for w, seen in client.run(os.path.isdir, folder).items() if not seen)
    if blind:
        raise InvalidParameter(
            f"Dask workers {', '.join(blind)} do not see {folder}: the {target.kind} must be "
            "at the same path on every worker (a shared folder)"
        )


def _this_host() -> str:
    return socket.gethostname()


def submit_execution(
    client: distributed.Client,
    target: Target,
    values: dict[str, Any],
    *,
    tracking_uri: str,
    experiment_id: str,
    parent_run_id: str,
    run_name: str | None = None,
    tags: dict[str, str] | None = None,
    early_stop: EarlyStop | None = None,
    key: str | None = None,
) -> distributed.Future:
    """One execution of ``target`` with validated ``values`` as a Dask task, a child of
    ``parent_run_id``. The future's result is the ``Outcome`` (``.run_id`` is the child
    run), or ``None`` if the parent had ended before the task started (no run made)."""
    kwargs = {} if key is None else {"key": key}
    return client.submit(
        execute_on_worker,
        target,
        values,
        tracking_uri,
        experiment_id,
        parent_run_id,
        run_name,
        {**(tags or {}), PARENT_TAG: parent_run_id},
        early_stop,
        pure=False,
        **kwargs,
    )


def execute_on_worker(
    target: Target,
    values: dict[str, Any],
    tracking_uri: str,
    experiment_id: str,
    parent_run_id: str,
    run_name: str | None,
    tags: dict[str, str],
    early_stop: EarlyStop | None,
) -> Outcome | None:
    """The task: ``run_target`` in this (worker) process, watched. Never raises for a
    failed, stopped or interrupted execution: the outcome says so."""
    from labtrack.tracking.client import TrackingClient

    client = TrackingClient(tracking_uri)
    if client.get_run(parent_run_id).info.status != RunStatus.RUNNING:
        return None
    started = time.monotonic()
    processes = _WatchedProcesses()
    watcher = _Watcher(
        TrackingClient(tracking_uri), experiment_id, parent_run_id, early_stop, processes
    )
    watcher.start()
    try:
        return run_target(
            target,
            values,
            client,
            experiment_id,
            run_name=run_name,
            tags=tags,
            capture_git=False,
            processes=processes,
        )
    except KeyboardInterrupt:  # the watcher stopped it: run_target recorded it KILLED
        run_id = processes.run_id
        error = watcher.reason or "interrupted: the sweep was stopped"
        if run_id is None:
            return None
        client.set_tag(run_id, ERROR_TAG, error_tag_value(error))
        client.flush()
        name = client.get_run(run_id).info.run_name
        return Outcome(run_id, name, RunStatus.KILLED, error, time.monotonic() - started)
    finally:
        watcher.done.set()
        watcher.join()


class _WatchedProcesses(ChildProcesses):
    """A ``ChildProcesses`` that remembers which run its process logs into."""

    run_id: str | None = None

    def start(self, argv, **popen_options):
        self.run_id = (popen_options.get("env") or {}).get(env.RUN_ID.name)
        return super().start(argv, **popen_options)


class _Watcher(threading.Thread):
    """Ends the point's process when the parent run ends or the early-stopping rule says so."""

    def __init__(
        self,
        client: TrackingClient,
        experiment_id: str,
        parent_run_id: str,
        early_stop: EarlyStop | None,
        processes: _WatchedProcesses,
    ):
        super().__init__(name="labtrack-sweep-watcher", daemon=True)
        self.client, self.experiment_id, self.parent_run_id = client, experiment_id, parent_run_id
        self.early_stop, self.processes = early_stop, processes
        self.done = threading.Event()
        self.reason: str | None = None
        self._finished: dict[str, dict[int, float]] = {}  # histories of finished siblings

    def run(self) -> None:
        while not self.done.wait(WATCH_SECONDS):
            try:
                stop, reason = self._check()
            except Exception:  # a store hiccup: look again next time
                continue
            if stop:
                if reason is not None:  # before the process ends: the run reads why at once
                    self.reason = reason
                    try:
                        self.client.set_tag(self.processes.run_id, STOPPED_TAG, reason)
                    except Exception:  # noqa: BLE001  (the rule fired: stop the point all the same)
                        pass
                self.processes.stop()
                return

    def _check(self) -> tuple[bool, str | None]:
        """Whether to stop the point, and why when it is the early-stopping rule."""
        if self.client.get_run(self.parent_run_id).info.status != RunStatus.RUNNING:
            return True, None
        run_id = self.processes.run_id
        if self.early_stop is None or run_id is None:
            return False, None
        metric = self.early_stop.metric
        for run in self.client.search_runs(
            self.experiment_id, _children_filter(self.parent_run_id, "FINISHED"), max_results=1000
        ):
            if run.info.run_id not in self._finished:
                self._finished[run.info.run_id] = _history(self.client, run.info.run_id, metric)
        reason = self.early_stop.verdict(
            _history(self.client, run_id, metric), list(self._finished.values())
        )
        return reason is not None, reason


def _children_filter(parent_run_id: str, status: str) -> str:
    return f"tags.`{PARENT_TAG}` = '{parent_run_id}' and attributes.status = '{status}'"


def _history(client: TrackingClient, run_id: str, metric: str) -> dict[int, float]:
    """step -> the last value logged at that step."""
    return {point.step: point.value for point in client.get_metric_history(run_id, metric)}


def wait_for_children(
    store: TrackingClient,
    experiment_id: str,
    parent_run_id: str,
    timeout: float = RECORD_GRACE_SECONDS,
) -> None:
    """Wait until no child of ``parent_run_id`` is RUNNING (their workers record how they
    ended), then mark any still running after ``timeout`` seconds KILLED."""
    deadline = time.monotonic() + timeout
    while True:
        running = store.search_runs(
            experiment_id, _children_filter(parent_run_id, "RUNNING"), max_results=1000
        )
        if not running:
            return
        if time.monotonic() >= deadline:
            for run in running:
                store.set_tag(run.info.run_id, ERROR_TAG, "interrupted: the sweep was stopped")
                store.set_terminated(run.info.run_id, RunStatus.KILLED)
            return
        time.sleep(WATCH_SECONDS)


def run_points(
    client: distributed.Client,
    sampler: Any,
    submit: Callable[[int, dict[str, Any]], distributed.Future],
    told: Callable[[Outcome], tuple[str, float | None]],
    in_flight: int,
) -> list[Outcome]:
    """Submit what ``sampler`` asks, ``in_flight`` tasks at a time, tell it how each ended
    (``told`` maps an outcome to how it ended and its metric value), and return the
    outcomes in the order the points were asked. On an interrupt (or any error) every task
    not done is cancelled and the error propagates: the caller then ends the parent run
    (``stop_children``)."""
    from distributed import as_completed

    pending = as_completed()
    asked: dict[str, tuple[int, Any]] = {}  # task key -> (order asked, sampler's token)
    futures: list[distributed.Future] = []
    outcomes: dict[int, Outcome] = {}

    def top_up() -> None:
        while pending.count() < in_flight:
            point = sampler.ask()
            if point is None:
                return
            token, values = point
            future = submit(len(futures), values)
            asked[future.key] = (len(futures), token)
            futures.append(future)
            pending.add(future)

    try:
        top_up()
        for future in pending:
            index, token = asked[future.key]
            outcome = future.result()
            if outcome is None:  # the sweep was ended before the point's run existed
                sampler.tell(token, FAILED, None)  # an Optuna trial must not stay RUNNING
            else:
                outcomes[index] = outcome
                sampler.tell(token, *told(outcome))
            top_up()
    except BaseException:
        client.cancel([future for future in futures if not future.done()])
        raise
    return [outcomes[index] for index in sorted(outcomes)]


def stop_children(store: TrackingClient, experiment_id: str, parent_run_id: str) -> None:
    """After an interrupt: end the parent run KILLED (the workers' signal to stop their
    points) and wait until no child is left running."""
    store.set_terminated(parent_run_id, RunStatus.KILLED)
    wait_for_children(store, experiment_id, parent_run_id)
