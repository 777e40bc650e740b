"""A serving process's deployment run: started with the server, kept up to date while it
serves, ended when it stops.

``start_deployment`` creates the run (in the experiment ``Deployments``, created on first
use) with the deployment's tags, and starts a thread that logs the server's traffic every
``LABTRACK_DEPLOYMENT_INTERVAL`` seconds and, for a model served by alias, checks the alias
(``labtrack.production.follow``). The run's liveness is the store's usual one: this process
keeps it alive with heartbeats, and once the process is gone the run reads as stopped.
``DeploymentRun.stop`` logs the last interval and ends the run FINISHED.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labtrack import env
from labtrack import production as d

if TYPE_CHECKING:
    from labtrack.client import Client
    from labtrack.production.follow import AliasFollower

# Latencies kept per interval for its percentiles: beyond this, a uniform sample of them
# (reservoir sampling), so memory stays bounded under any load.
MAX_LATENCY_SAMPLES = 20_000


class Traffic:
    """Requests counted as the server answers them; ``take`` returns an interval's figures
    and starts the next. Thread-safe; ``add`` costs a lock and an append."""

    def __init__(self) -> None:
        import random

        self._lock = threading.Lock()
        self._random = random.Random()
        self._requests = 0
        self._errors = 0
        self._latencies: list[float] = []
        self.total = 0

    def add(self, latency_ms: float, error: bool = False) -> None:
        """Count one answered request that took ``latency_ms``; ``error``: a 4xx or 5xx."""
        with self._lock:
            self._requests += 1
            self.total += 1
            self._errors += bool(error)
            if len(self._latencies) < MAX_LATENCY_SAMPLES:
                self._latencies.append(latency_ms)
            else:
                slot = self._random.randrange(self._requests)
                if slot < MAX_LATENCY_SAMPLES:
                    self._latencies[slot] = latency_ms

    def take(self) -> dict[str, float]:
        """The interval's metrics (requests, errors, total, latency percentiles in ms; the
        percentiles are left out of an interval without requests), then a new interval."""
        with self._lock:
            requests, errors, latencies = self._requests, self._errors, self._latencies
            self._requests, self._errors, self._latencies = 0, 0, []
            total = self.total
        figures = {
            d.REQUESTS: float(requests),
            d.REQUESTS_TOTAL: float(total),
            d.ERRORS: float(errors),
        }
        if latencies:
            import numpy as np

            p50, p99 = np.percentile(latencies, [50, 99])
            figures[d.LATENCY_P50] = float(p50)
            figures[d.LATENCY_P99] = float(p99)
        return figures


def interval_seconds() -> float:
    """Seconds between a deployment's traffic metrics (``LABTRACK_DEPLOYMENT_INTERVAL``)."""
    return _positive(env.DEPLOYMENT_INTERVAL)


def alias_interval_seconds() -> float:
    """Seconds between a deployment's alias checks (``LABTRACK_DEPLOYMENT_ALIAS_INTERVAL``,
    else the traffic interval)."""
    if env.DEPLOYMENT_ALIAS_INTERVAL.get() in (None, ""):
        return interval_seconds()
    return _positive(env.DEPLOYMENT_ALIAS_INTERVAL)


def _positive(variable: env.EnvVar) -> float:
    from labtrack.errors import InvalidParameter

    try:
        value = variable.get_float()
    except ValueError as error:
        raise InvalidParameter(str(error)) from None
    if not 0 < value < float("inf"):
        raise InvalidParameter(f"{variable.name} must be a positive number of seconds")
    return value


def shown_url(url: str) -> str:
    """The URL others reach the server at: this machine's name for a server listening on
    every address (0.0.0.0, ::), which no client can connect to as such."""
    for unspecified in ("//0.0.0.0:", "//[::]:"):
        if unspecified in url:
            return url.replace(unspecified, f"//{socket.gethostname()}:")
    return url


class DeploymentRun:
    """The run of a deployment being served: its traffic counter, the thread that logs it,
    and ``stop``. Made by ``start_deployment``."""

    def __init__(self, client: Client, name: str, run_id: str, model_version: str | None):
        self.client = client
        self.name = name
        self.run_id = run_id
        self.model_version = model_version
        self.traffic = Traffic()
        self.follower: AliasFollower | None = None
        self.prediction_log: Any = None  # a PredictionLog when predictions are logged
        self._interval = interval_seconds()
        self._alias_interval = alias_interval_seconds()
        self._stopping = threading.Event()
        self._step = 0
        self._lock = threading.Lock()  # one writer of the run's metrics at a time
        self._thread = threading.Thread(
            target=self._loop, name=f"labtrack-deployment-{name}", daemon=True
        )
        self._stopped = False

    def start(self) -> None:
        """Start logging traffic (and checking the alias, if the model is served by one);
        the run ends FINISHED at interpreter exit if ``stop`` was not called before."""
        import atexit

        atexit.register(self.stop)
        self._thread.start()

    def set_model_version(self, version: str) -> None:
        """Record that ``version`` is served from now on (the tag; the metric follows). The
        attribute changes only once the tag is written, so a failed write is tried again."""
        self.client.set_tag(self.run_id, d.MODEL_VERSION_TAG, version)
        self.model_version = version
        self.log_interval()

    def log_interval(self) -> None:
        """Log the traffic since the last call (and the version served) as one step."""
        figures = self.traffic.take()
        if self.model_version and self.model_version.isdigit():
            figures[d.MODEL_VERSION] = float(self.model_version)
        from labtrack.entities import Metric

        with self._lock:
            now = int(time.time() * 1000)
            self.client.log_batch(
                self.run_id,
                [Metric(key, value, now, self._step) for key, value in figures.items()],
                synchronous=True,  # a reader (the sidebar) sees the interval at once
            )
            self._step += 1

    def _loop(self) -> None:
        import logging

        logger = logging.getLogger("labtrack.production")
        next_log = time.monotonic() + self._interval
        next_check = time.monotonic() + self._alias_interval
        while not self._stopping.wait(max(0.0, min(next_log, next_check) - time.monotonic())):
            now = time.monotonic()
            try:
                if self.follower is not None and now >= next_check:
                    next_check = now + self._alias_interval
                    self.follower.check()
                if now >= next_log:
                    next_log = now + self._interval
                    self.log_interval()
            except Exception:  # the store away, a bad new version: keep serving, say why
                logger.exception("deployment %s: recording its state failed", self.name)
            if self.follower is None:
                next_check = float("inf")

    def stop(self, status: str = "FINISHED") -> None:
        """Stop the thread, log the last interval, and end the run with ``status``."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        import atexit

        atexit.unregister(self.stop)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        try:
            if self.prediction_log is not None:
                self.prediction_log.close()
            self.log_interval()
        finally:
            self.client.set_terminated(self.run_id, status)


def start_deployment(
    name: str,
    model_uri: str,
    url: str,
    model_name: str | None = None,
    model_version: str | None = None,
    predictions: bool = False,
    sample_rate: float = 1.0,
    client: Client | None = None,
    on_new_version: Callable[[Any, str], None] | None = None,
    start: bool = True,
) -> DeploymentRun:
    """Record that this process serves ``model_uri`` at ``url`` as deployment ``name``, and
    keep the record up to date until ``stop()``: a RUNNING run of the ``Deployments``
    experiment with the deployment's tags.

    ``on_new_version(model, version)`` given, a ``models:/<name>@<alias>`` URI is followed:
    when the alias moves, the new version is loaded and handed to it (see
    ``labtrack.production.follow``). With ``start=False`` the caller calls ``start()``
    itself, once it can serve a new version.
    """
    from labtrack.client import Client
    from labtrack.errors import AlreadyExists
    from labtrack.process_identity import current

    name = d.validate_name(name)
    interval_seconds(), alias_interval_seconds()  # a bad setting fails before the run exists
    client = client or Client()
    experiment = client.get_experiment_by_name(d.EXPERIMENT)
    if experiment is None:
        try:
            experiment_id = client.create_experiment(d.EXPERIMENT)
        except AlreadyExists:  # another server created it meanwhile
            experiment_id = client.get_experiment_by_name(d.EXPERIMENT).experiment_id
    else:
        experiment_id = experiment.experiment_id
    me = current()
    tags = {
        d.TAG: name,
        d.MODEL_URI_TAG: model_uri,
        d.URL_TAG: shown_url(url),
        d.HOST_TAG: me.host,
        d.PID_TAG: str(os.getpid()),
        d.PID_START_TAG: str(me.start_ms),
        d.PREDICTIONS_TAG: "on" if predictions else "off",
        d.SAMPLE_RATE_TAG: f"{sample_rate:g}",
    }
    if model_name:
        tags[d.MODEL_NAME_TAG] = model_name
    if model_version:
        tags[d.MODEL_VERSION_TAG] = str(model_version)
    run = client.create_run(experiment_id, tags=tags, run_name=name)
    deployment = DeploymentRun(client, name, run.info.run_id, model_version)
    try:
        if model_name and model_version:
            from labtrack.production.follow import record_in_registry

            record_in_registry(client, name, model_name, str(model_version))
        if on_new_version is not None:
            from labtrack.production.follow import follower_for

            deployment.follower = follower_for(deployment, model_uri, on_new_version)
        deployment.log_interval()  # version and zero traffic from the start: it is seen live
    except BaseException:
        client.set_terminated(run.info.run_id, "FAILED")
        raise
    if start:
        deployment.start()
    return deployment


def is_labtrack_serve(command_line: list[str]) -> bool:
    """Whether a process's command line is ``labtrack serve ...`` (the console script, or
    ``python -m labtrack``): the only processes a deployment's stop may terminate; a notebook
    kernel serving in the background is not one of them."""
    for index, word in enumerate(command_line):
        program = os.path.basename(word).lower().removesuffix(".exe")
        after_module = index > 0 and command_line[index - 1] == "-m"
        if program == "labtrack" or (after_module and word in ("labtrack", "labtrack.cli")):
            return _command(command_line[index + 1 :]) == "serve"
    return False


def _command(arguments: list[str]) -> str | None:
    """The subcommand of ``labtrack``'s arguments, past its one global option."""
    rest = iter(arguments)
    for word in rest:
        if word == "--tracking-uri":
            next(rest, None)
        elif not word.startswith("--tracking-uri="):
            return word
    return None


def stop_local(client: Client, name: str, timeout: float = 45.0) -> d.Deployment:
    """Stop deployment ``name`` served by ``labtrack serve`` on this machine (SIGTERM: it
    ends its run FINISHED), wait up to ``timeout`` seconds for it to exit, and return it as
    recorded then. ``InvalidState`` if it is not running, runs on another machine, or its
    recorded process is not a ``labtrack serve`` process that still runs (its pid is checked
    with its start time, so a pid the system gave to another process is never signalled).
    """
    import psutil

    from labtrack import process_identity
    from labtrack.errors import InvalidState

    deployment = d.get_deployment(client, name)
    where = f"deployment {name!r}"
    if deployment.status != "RUNNING":
        raise InvalidState(f"{where} is not running (it is {deployment.status})")
    if not deployment.local:
        raise InvalidState(
            f"{where} runs on {deployment.host or 'an unknown host'}, not on this machine "
            f"({process_identity.HOST}): stop it there"
        )
    started = client.get_run(deployment.run_id).data.tags.get(d.PID_START_TAG, "")
    pid = deployment.pid
    if pid is None or not started.isdigit():
        raise InvalidState(f"{where} has no recorded process to stop")
    state = process_identity.local_state(pid, int(started))
    if state is not process_identity.LocalState.ALIVE:
        raise InvalidState(f"{where}: its process {pid} is gone")
    try:
        process = psutil.Process(pid)
        if process_identity.start_time_ms(pid) != int(started):  # checked again, just before
            raise InvalidState(f"{where}: its process {pid} is gone")
        if not is_labtrack_serve(process.cmdline()):
            raise InvalidState(
                f"{where} is served by process {pid}, which is not `labtrack serve` (a notebook "
                "serving in the background, say): stop it there (server.stop())"
            )
        process.terminate()
        process.wait(timeout)
    except psutil.NoSuchProcess:
        pass  # it exited meanwhile
    except psutil.AccessDenied:
        raise InvalidState(f"{where}: not allowed to stop process {pid}") from None
    except psutil.TimeoutExpired:
        raise InvalidState(f"{where}: process {pid} did not exit within {timeout:g} s") from None
    return d.get_deployment(client, name)
