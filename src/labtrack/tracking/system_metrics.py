"""System metrics (MLflow's ``log_system_metrics``): CPU, memory, disk, network and NVIDIA GPUs,
sampled on a daemon thread while a run is active and logged as ``system/...`` metrics.

Turned on per run by ``start_run(log_system_metrics=True)`` (or ``%%track --system``), for
every run by ``LABTRACK_LOG_SYSTEM_METRICS`` (MLflow's ``MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING``)
or ``enable_system_metrics_logging()``. MLflow's names and semantics: a sample every
``LABTRACK_SYSTEM_METRICS_INTERVAL`` seconds (10), the average of
``MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING`` samples (1) logged at steps 0, 1, 2, ...
(a resumed run continues its count); network and disk I/O are megabytes since sampling began.
Unlike MLflow, a run shorter than the interval still gets one point (a sample taken as the
run ends), and disk reads and writes are logged too.

The points go through the client's background writer like any other metric: sampling never
waits for the store, and never runs on the training thread. ``end_run`` (and a ``with`` block
that fails) stops the run's sampler and persists its last point with the run's end; a run
ended another way (``Client.set_terminated``) stops it at the next sample. A forked child
inherits no sampler. A probe that fails (a missing disk, an NVML error) is reported once and
skipped; the others go on. GPUs need ``nvidia-ml-py`` (imported only if installed); without
it, or without GPUs, GPU metrics are simply absent.

Importing this module is cheap: psutil loads when a sampler starts.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from labtrack import env
from labtrack.errors import InvalidParameter

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient

logger = logging.getLogger("labtrack.system_metrics")

PREFIX = "system/"
_TRUE, _FALSE = ("true", "1"), ("false", "0")  # what MLflow's boolean variables accept
# The shortest span a sample taken as the run ends may cover: below it CPU percentages are
# mostly noise (psutil's advice), so that sample is skipped if an earlier one exists.
_MIN_FINAL_SPAN = 0.1
_JOIN_TIMEOUT = 10.0


# -- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How a run's system metrics are sampled (read from the environment at ``start_run``)."""

    interval: float = 10.0  # seconds between samples
    samples_before_logging: int = 1  # samples averaged into one logged point
    node_id: str | None = None  # a machine's name: keys become system/<node_id>/...

    @property
    def prefix(self) -> str:
        """What every key starts with: ``system/`` or ``system/<node_id>/``."""
        return PREFIX + (f"{self.node_id}/" if self.node_id else "")


def settings_for_run(log_system_metrics: bool | None) -> Settings | None:
    """The settings of a run about to start, or None if it is not sampled.

    ``log_system_metrics`` (``start_run``'s argument) wins; None defers to the environment.
    Raises ``InvalidParameter`` naming the variable or argument whose value is not usable,
    before any run exists."""
    if log_system_metrics is None:
        wanted = _boolean(env.LOG_SYSTEM_METRICS)
    elif isinstance(log_system_metrics, bool):
        wanted = log_system_metrics
    else:
        raise InvalidParameter(
            f"log_system_metrics must be True, False or None, got {log_system_metrics!r}"
        )
    return _settings() if wanted else None


def _source(variable: env.EnvVar) -> str:
    """The name of the variable a value came from: the variable, or MLflow's fallback."""
    if os.environ.get(variable.name) in (None, "") and variable.fallback is not None:
        if os.environ.get(variable.fallback.name) not in (None, ""):
            return variable.fallback.name
    return variable.name


def _boolean(variable: env.EnvVar) -> bool:
    raw = (variable.get() or "").strip().lower()
    if raw in _TRUE or raw in _FALSE:
        return raw in _TRUE
    raise InvalidParameter(f"{_source(variable)} must be true, false, 1 or 0, got {raw!r}")


def _settings() -> Settings:
    from labtrack.tracking.validation import validate_key

    variable = env.SYSTEM_METRICS_INTERVAL
    try:
        interval = variable.get_float()
    except ValueError:
        raise InvalidParameter(
            f"{_source(variable)} must be a number of seconds, got {variable.get()!r}"
        ) from None
    if not (math.isfinite(interval) and interval > 0):
        raise InvalidParameter(
            f"{_source(variable)} must be a positive number of seconds, got {variable.get()!r}"
        )
    raw_samples = env.MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING.get() or "1"
    try:
        samples = int(raw_samples)
    except ValueError:
        samples = 0
    if samples < 1:
        raise InvalidParameter(
            f"{env.MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING.name} must be a whole number "
            f"at least 1, got {raw_samples!r}"
        )
    node_id = env.MLFLOW_SYSTEM_METRICS_NODE_ID.get() or None
    if node_id is not None:
        try:
            validate_key(f"{PREFIX}{node_id}/cpu_utilization_percentage")
        except InvalidParameter as error:
            raise InvalidParameter(
                f"{env.MLFLOW_SYSTEM_METRICS_NODE_ID.name} {node_id!r} cannot be part of a metric "
                f"name: {error}"
            ) from None
    return Settings(interval, samples, node_id)


def enable_system_metrics_logging() -> None:
    """Sample system metrics in every run started from now on (as MLflow's function does, by
    setting the variable, so child processes inherit it); ``start_run(log_system_metrics=False)``
    still opts a run out."""
    os.environ[env.LOG_SYSTEM_METRICS.name] = "true"


def disable_system_metrics_logging() -> None:
    """Stop sampling system metrics in runs started from now on, unless a run opts in with
    ``start_run(log_system_metrics=True)``. Runs being sampled go on being sampled."""
    os.environ[env.LOG_SYSTEM_METRICS.name] = "false"


def set_system_metrics_sampling_interval(interval: float | None) -> None:
    """Seconds between samples in runs started from now on (None: back to the default, 10).
    Raises ``InvalidParameter`` for anything but a positive number."""
    _set(env.SYSTEM_METRICS_INTERVAL, interval, lambda x: x > 0, "a positive number of seconds")


def set_system_metrics_samples_before_logging(samples: int | None) -> None:
    """How many samples each logged point averages, in runs started from now on (None: 1)."""
    _set(
        env.MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING,
        samples,
        lambda x: isinstance(x, int) and x >= 1,
        "a whole number at least 1",
    )


def set_system_metrics_node_id(node_id: str | None) -> None:
    """Name this machine in system metric keys (``system/<node_id>/...``) from now on, for a
    run that several machines log to (None: no name)."""
    _set(env.MLFLOW_SYSTEM_METRICS_NODE_ID, node_id, lambda x: isinstance(x, str), "a string")
    _settings()  # a name that cannot be part of a key is refused now, not at start_run


def _set(variable: env.EnvVar, value, valid, expected: str) -> None:
    if value is None:
        os.environ.pop(variable.name, None)
        return
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (number or isinstance(value, str)) or not valid(value):
        raise InvalidParameter(f"expected {expected}, got {value!r}")
    os.environ[variable.name] = str(value)


# -- probes -------------------------------------------------------------------------------------


class Probe(Protocol):
    """One source of readings. ``read`` returns name -> value for one sample (names without
    the ``system/`` prefix); names in ``totals`` are running totals logged as their latest
    value, the others are averaged."""

    name: str
    totals: frozenset[str]

    def read(self) -> dict[str, float]: ...

    def close(self) -> None: ...


class CpuProbe:
    """CPU utilization of the whole machine and its memory in use (MLflow's names)."""

    name = "cpu"
    totals: frozenset[str] = frozenset()

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        psutil.cpu_percent()  # the first call only starts the measurement

    def read(self) -> dict[str, float]:
        """One sample: CPU % since the last one, memory in use now."""
        memory = self._psutil.virtual_memory()
        return {
            "cpu_utilization_percentage": self._psutil.cpu_percent(),
            "system_memory_usage_megabytes": memory.used / 1e6,
            "system_memory_usage_percentage": memory.used / memory.total * 100,
        }

    def close(self) -> None:
        """Nothing to release."""


class DiskProbe:
    """Usage of the disk holding ``path`` (MLflow's names; the root by default) and the
    machine's disk reads and writes since sampling began (labtrack's)."""

    name = "disk"
    totals = frozenset({"disk_read_megabytes", "disk_write_megabytes"})

    def __init__(self, path: str = os.sep) -> None:
        import psutil

        self._psutil = psutil
        self.path = path
        self._start = self._io()

    def _io(self) -> tuple[float, float] | None:
        counters = self._psutil.disk_io_counters()  # None where the kernel exposes none
        return None if counters is None else (counters.read_bytes, counters.write_bytes)

    def read(self) -> dict[str, float]:
        """One sample: usage now, I/O since the probe was made."""
        usage = self._psutil.disk_usage(self.path)
        values = {
            "disk_usage_percentage": usage.percent,
            "disk_usage_megabytes": usage.used / 1e6,
            "disk_available_megabytes": usage.free / 1e6,
        }
        now = self._io()
        if now is not None and self._start is not None:
            values["disk_read_megabytes"] = (now[0] - self._start[0]) / 1e6
            values["disk_write_megabytes"] = (now[1] - self._start[1]) / 1e6
        return values

    def close(self) -> None:
        """Nothing to release."""


class NetworkProbe:
    """Megabytes the machine received and sent since sampling began (MLflow's names)."""

    name = "network"
    totals = frozenset({"network_receive_megabytes", "network_transmit_megabytes"})

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        start = psutil.net_io_counters()
        self._start = (start.bytes_recv, start.bytes_sent)

    def read(self) -> dict[str, float]:
        """One sample: totals since the probe was made."""
        now = self._psutil.net_io_counters()
        return {
            "network_receive_megabytes": (now.bytes_recv - self._start[0]) / 1e6,
            "network_transmit_megabytes": (now.bytes_sent - self._start[1]) / 1e6,
        }

    def close(self) -> None:
        """Nothing to release."""


class GpuProbe:
    """Each NVIDIA GPU's utilization, memory and power through NVML (MLflow's names,
    ``gpu_<i>_...``). Raises if ``nvidia-ml-py`` is missing or NVML finds no driver; a reading
    a GPU does not support (power on some boards) is left out, silently."""

    name = "gpu"
    totals: frozenset[str] = frozenset()

    def __init__(self) -> None:
        import pynvml  # nvidia-ml-py; ImportError when absent

        pynvml.nvmlInit()  # NVMLError without a driver
        self._nvml = pynvml
        self.handles = [
            pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())
        ]

    def read(self) -> dict[str, float]:
        """One sample of every GPU."""
        nvml, values = self._nvml, {}
        for i, handle in enumerate(self.handles):
            for read in (self._memory, self._utilization, self._power):
                try:
                    values.update(read(handle, f"gpu_{i}_"))
                except nvml.NVMLError:
                    pass  # not supported by this GPU: absent, as an absent GPU is
        return values

    def _memory(self, handle, name: str) -> dict[str, float]:
        memory = self._nvml.nvmlDeviceGetMemoryInfo(handle)
        return {
            f"{name}memory_usage_percentage": memory.used / memory.total * 100,
            f"{name}memory_usage_megabytes": memory.used / 1e6,
        }

    def _utilization(self, handle, name: str) -> dict[str, float]:
        return {
            f"{name}utilization_percentage": self._nvml.nvmlDeviceGetUtilizationRates(handle).gpu
        }

    def _power(self, handle, name: str) -> dict[str, float]:
        milliwatts = self._nvml.nvmlDeviceGetPowerUsage(handle)
        limit = self._nvml.nvmlDeviceGetEnforcedPowerLimit(handle)
        return {
            f"{name}power_usage_watts": milliwatts / 1000,
            f"{name}power_usage_percentage": milliwatts / limit * 100,
        }

    def close(self) -> None:
        """Release NVML."""
        try:
            self._nvml.nvmlShutdown()
        except Exception:  # NVML gone already: nothing left to release
            pass


def default_probes() -> list[Probe]:
    """CPU and memory, disk, network, and NVIDIA GPUs where NVML finds any."""
    probes: list[Probe] = [CpuProbe(), DiskProbe(), NetworkProbe()]
    try:
        gpus = GpuProbe()
    except Exception as error:  # no nvidia-ml-py, no driver, no GPU: no GPU metrics
        logger.debug("no GPU metrics: %s", error)
    else:
        if gpus.handles:
            probes.append(gpus)
        else:
            gpus.close()
    return probes


# -- the sampler --------------------------------------------------------------------------------


class SystemMetricsSampler:
    """Samples ``probes`` (``default_probes()``) every ``interval`` seconds on a daemon thread
    and logs the average of every ``samples_before_logging`` samples into ``run_id`` through
    ``client``'s writer, at steps ``first_step``, ``first_step + 1``, ... (None: after the
    run's last system step).

    ``stop()`` logs what was sampled since the last point (and one more sample) and waits for
    the thread. ``samples`` and ``cpu_seconds`` (the thread's CPU time for sampling and
    logging) measure its cost."""

    def __init__(
        self,
        client: TrackingClient,
        run_id: str,
        interval: float = 10.0,
        samples_before_logging: int = 1,
        node_id: str | None = None,
        first_step: int | None = None,
        probes: list[Probe] | None = None,
    ) -> None:
        self.client, self.run_id = client, run_id
        self.settings = Settings(interval, samples_before_logging, node_id)
        self.first_step = first_step
        self.samples = 0
        self.cpu_seconds = 0.0
        self.pid = os.getpid()
        self._probes = probes
        self._pending: dict[str, list[float]] = {}
        self._pending_count = 0
        self._totals: set[str] = set()
        self._failed: set[str] = set()  # probes whose failure was reported already
        self._last_sample = time.monotonic()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"labtrack-system-metrics-{run_id[:8]}", daemon=True
        )

    @property
    def alive(self) -> bool:
        """Whether the sampling thread is running."""
        return self._thread.is_alive()

    def start(self) -> SystemMetricsSampler:
        """Start sampling; returns the sampler."""
        self._thread.start()
        return self

    def stop(self, timeout: float = _JOIN_TIMEOUT) -> None:
        """Log what is pending, stop sampling and wait (up to ``timeout`` s) for the thread."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        started = time.thread_time()
        probes: list[Probe] = []
        try:
            probes = self._probes if self._probes is not None else default_probes()
            self._probes = probes
            step = self.first_step if self.first_step is not None else self._next_step()
            self.cpu_seconds += time.thread_time() - started
            while True:
                stopping = self._stopping.wait(self.settings.interval)
                started = time.thread_time()
                if not stopping and self.run_id not in self.client.writer.live_runs:
                    return  # the run was ended some other way: nothing more to measure
                if not stopping or time.monotonic() - self._last_sample >= _MIN_FINAL_SPAN:
                    self._sample(probes)
                due = self._pending_count >= self.settings.samples_before_logging
                if self._pending_count and (stopping or due):
                    self._publish(step)
                    step += 1
                self.cpu_seconds += time.thread_time() - started
                if stopping:
                    return
        except Exception as error:  # the run must never notice: report it once, stop sampling
            logger.warning("labtrack: system metrics of run %s stopped: %s", self.run_id, error)
        finally:
            for probe in probes:
                probe.close()
            _forget(self)

    def _next_step(self) -> int:
        key = f"{self.settings.prefix}cpu_utilization_percentage"
        points = self.client.get_metric_history(self.run_id, key)
        return max((p.step for p in points), default=-1) + 1

    def _sample(self, probes: list[Probe]) -> None:
        self._last_sample = time.monotonic()
        for probe in probes:
            try:
                values = probe.read()
            except Exception as error:  # one failing probe must not silence the others
                if probe.name not in self._failed:
                    self._failed.add(probe.name)
                    logger.warning(
                        "labtrack: system metrics: the %s probe failed (%s); its metrics are "
                        "left out",
                        probe.name,
                        error,
                    )
                continue
            self._totals |= probe.totals
            for name, value in values.items():
                self._pending.setdefault(name, []).append(float(value))
        self._pending_count += 1
        self.samples += 1

    def _publish(self, step: int) -> None:
        from labtrack.entities import Metric

        timestamp = int(time.time() * 1000)
        prefix = self.settings.prefix
        metrics = [
            Metric(
                prefix + name,
                values[-1] if name in self._totals else round(sum(values) / len(values), 1),
                timestamp,
                step,
            )
            for name, values in self._pending.items()
        ]
        self._pending, self._pending_count = {}, 0
        if metrics:
            self.client.log_batch(self.run_id, metrics=metrics)  # buffered: never waits


# -- one sampler per run of this process -------------------------------------------------------

_samplers: dict[str, SystemMetricsSampler] = {}
_samplers_lock = threading.Lock()


def start(
    client: TrackingClient, run_id: str, settings: Settings, resumed: bool = False
) -> SystemMetricsSampler:
    """Start sampling ``run_id`` (a no-op if it is sampled already). A resumed run continues
    its step count; a new one starts at 0."""
    with _samplers_lock:
        running = _samplers.get(run_id)
        if running is not None and running.alive:
            return running
        sampler = _samplers[run_id] = SystemMetricsSampler(
            client,
            run_id,
            settings.interval,
            settings.samples_before_logging,
            settings.node_id,
            first_step=None if resumed else 0,
        )
    return sampler.start()


def stop(run_id: str) -> None:
    """Stop sampling ``run_id``, its last point logged, if this process samples it."""
    if not _samplers:  # the common case, on every end_run
        return
    with _samplers_lock:
        sampler = _samplers.pop(run_id, None)
    if sampler is not None:
        sampler.stop()


def sampler(run_id: str) -> SystemMetricsSampler | None:
    """The sampler of ``run_id`` in this process, or None."""
    return _samplers.get(run_id)


def sampled_runs() -> list[str]:
    """The ids of the runs this process samples."""
    with _samplers_lock:
        return list(_samplers)


def _forget(sampler: SystemMetricsSampler) -> None:
    with _samplers_lock:
        if _samplers.get(sampler.run_id) is sampler:
            del _samplers[sampler.run_id]


def _forget_all_in_child() -> None:
    # The parent's sampling threads do not exist in a forked child: neither do its samplers.
    global _samplers_lock
    _samplers_lock = threading.Lock()
    _samplers.clear()


os.register_at_fork(after_in_child=_forget_all_in_child)
