"""System metrics (``start_run(log_system_metrics=True)``): a sampler thread per run logs
``system/...`` metrics, with MLflow's names and sampling semantics, until the run ends."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time

import pytest
from IPython.core.interactiveshell import InteractiveShell

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.tracking import system_metrics
from labtrack.tracking.system_metrics import CpuProbe, DiskProbe, SystemMetricsSampler

from ..waiting import wait_until

CPU = "system/cpu_utilization_percentage"
# MLflow's names for what every machine has (GPU metrics appear only where NVML finds GPUs).
MLFLOW_NAMES = {
    "system/cpu_utilization_percentage",
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/disk_usage_percentage",
    "system/disk_usage_megabytes",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
}


@pytest.fixture
def fast(monkeypatch, tracking_uri):
    """Sample every 50 ms instead of every 10 s."""
    monkeypatch.setenv("LABTRACK_SYSTEM_METRICS_INTERVAL", "0.05")
    return tracking_uri


def history(run_id: str, key: str = CPU) -> list:
    return lt.Client().get_metric_history(run_id, key)


def system_keys(run_id: str) -> set[str]:
    return {k for k in lt.get_run(run_id).data.metrics if k.startswith("system/")}


def sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("labtrack-system-metrics")]


def busy(cpu_seconds: float = 0.2) -> None:
    """Work until this thread has used ``cpu_seconds`` of CPU (a condition, not a sleep)."""
    end = time.thread_time() + cpu_seconds
    while time.thread_time() < end:
        pass


def test_metrics_appear_while_the_run_is_live_with_mlflow_names_and_steps(fast):
    with lt.start_run(log_system_metrics=True) as run:
        run_id = run.info.run_id
        wait_until(lambda: len(history(run_id)) >= 3, what="three CPU samples")
        assert lt.get_run(run_id).info.status == "RUNNING"
        assert MLFLOW_NAMES <= system_keys(run_id)
        points = history(run_id)
        assert [p.step for p in points[:3]] == [0, 1, 2]  # MLflow's step counter
        assert all(0.0 <= p.value <= 100.0 for p in points)
        memory = lt.get_run(run_id).data.metrics["system/system_memory_usage_megabytes"]
        assert memory > 0
        assert {"system/disk_read_megabytes", "system/disk_write_megabytes"} & system_keys(
            run_id
        ) or not _has_disk_counters()


def _has_disk_counters() -> bool:
    import psutil

    return psutil.disk_io_counters() is not None


def test_sampling_stops_when_the_run_ends(fast):
    with lt.start_run(log_system_metrics=True) as run:
        wait_until(lambda: len(history(run.info.run_id)) >= 2, what="two CPU samples")
        assert len(sampler_threads()) == 1
    assert sampler_threads() == []  # joined by end_run, not left to die with the process
    assert system_metrics.sampled_runs() == []
    logged = len(history(run.info.run_id))
    assert lt.get_run(run.info.run_id).info.status == "FINISHED"
    assert len(history(run.info.run_id)) == logged


def test_a_failed_run_stops_its_sampler(fast):
    with pytest.raises(RuntimeError), lt.start_run(log_system_metrics=True) as run:
        wait_until(lambda: history(run.info.run_id), what="a CPU sample")
        raise RuntimeError("training failed")
    assert sampler_threads() == []
    assert lt.get_run(run.info.run_id).info.status == "FAILED"


def test_a_run_ended_elsewhere_stops_its_sampler(fast):
    run = lt.start_run(log_system_metrics=True)
    wait_until(lambda: history(run.info.run_id), what="a CPU sample")
    lt.Client().set_terminated(run.info.run_id)  # not through end_run
    wait_until(lambda: not sampler_threads(), what="the sampler to stop")
    lt.end_run()


def test_a_run_shorter_than_the_interval_gets_one_sample_of_its_whole_span(tracking_uri):
    with lt.start_run(log_system_metrics=True) as run:  # the default interval: 10 s
        busy()
    points = history(run.info.run_id)
    assert [p.step for p in points] == [0]
    assert points[0].value > 0  # measured over the run's busy span, not an empty window


def test_system_metrics_are_off_by_default(tracking_uri):
    with lt.start_run() as run:
        busy(0.05)
    assert system_keys(run.info.run_id) == set()
    assert sampler_threads() == []


@pytest.mark.parametrize(
    "variables",
    [
        {"LABTRACK_LOG_SYSTEM_METRICS": "true"},
        {"LABTRACK_LOG_SYSTEM_METRICS": "1"},
        {"MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING": "TRUE"},
    ],
)
def test_the_variables_turn_it_on(fast, monkeypatch, variables):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with lt.start_run() as run:
        wait_until(lambda: history(run.info.run_id), what="a CPU sample")
    with lt.start_run(log_system_metrics=False) as other:  # the argument wins
        pass
    assert system_keys(other.info.run_id) == set()


def test_labtracks_variable_wins_over_mlflows(fast, monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "true")
    monkeypatch.setenv("LABTRACK_LOG_SYSTEM_METRICS", "false")
    with lt.start_run() as run:
        busy(0.05)
    assert system_keys(run.info.run_id) == set()


def test_mlflows_interval_variable_is_the_fallback(tracking_uri, monkeypatch):
    monkeypatch.setenv("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.05")
    with lt.start_run(log_system_metrics=True) as run:
        wait_until(lambda: len(history(run.info.run_id)) >= 2, what="two CPU samples")


def test_enable_and_disable_as_in_mlflow(fast, monkeypatch):
    monkeypatch.setenv("LABTRACK_LOG_SYSTEM_METRICS", "")  # restored after the test
    lt.enable_system_metrics_logging()
    with lt.start_run() as run:
        wait_until(lambda: history(run.info.run_id), what="a CPU sample")
    lt.disable_system_metrics_logging()
    with lt.start_run() as off:
        pass
    assert system_keys(off.info.run_id) == set()
    with lt.start_run(log_system_metrics=True) as on:  # a run can still opt in
        wait_until(lambda: history(on.info.run_id), what="a CPU sample")


def test_samples_before_logging_averages_and_node_id_prefixes(fast, monkeypatch):
    monkeypatch.setenv("MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "3")
    monkeypatch.setenv("MLFLOW_SYSTEM_METRICS_NODE_ID", "node_0")
    with lt.start_run(log_system_metrics=True) as run:
        key = "system/node_0/cpu_utilization_percentage"
        wait_until(lambda: len(history(run.info.run_id, key)) >= 2, what="two averages")
        sampler = system_metrics.sampler(run.info.run_id)
        assert sampler is not None and sampler.samples >= 6  # three samples per point


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LABTRACK_SYSTEM_METRICS_INTERVAL", "abc", "LABTRACK_SYSTEM_METRICS_INTERVAL"),
        ("LABTRACK_SYSTEM_METRICS_INTERVAL", "0", "positive"),
        ("LABTRACK_SYSTEM_METRICS_INTERVAL", "nan", "positive"),
        ("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "-1", "MLFLOW_SYSTEM_METRICS_SAMPLING"),
        ("LABTRACK_LOG_SYSTEM_METRICS", "maybe", "LABTRACK_LOG_SYSTEM_METRICS"),
        ("MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "0", "at least 1"),
        ("MLFLOW_SYSTEM_METRICS_NODE_ID", "../x", "MLFLOW_SYSTEM_METRICS_NODE_ID"),
    ],
)
def test_a_bad_value_is_an_error_at_start_run_before_any_run_exists(
    tracking_uri, monkeypatch, name, value, message
):
    monkeypatch.setenv("LABTRACK_LOG_SYSTEM_METRICS", "true")
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidParameter, match=message):
        lt.start_run()
    assert lt.active_run() is None and lt.search_runs().empty


def test_a_bad_argument_is_an_error(tracking_uri):
    with pytest.raises(InvalidParameter, match="log_system_metrics"):
        lt.start_run(log_system_metrics="yes")
    assert lt.search_runs().empty


def test_a_resumed_run_continues_the_step_counter(fast):
    with lt.start_run(log_system_metrics=True) as run:
        wait_until(lambda: len(history(run.info.run_id)) >= 2, what="two CPU samples")
    last = history(run.info.run_id)[-1].step
    with lt.start_run(run_id=run.info.run_id, log_system_metrics=True):
        wait_until(lambda: history(run.info.run_id)[-1].step > last, what="a new sample")
    steps = [p.step for p in history(run.info.run_id)]
    assert steps == list(range(len(steps)))  # no step logged twice


def test_a_failing_probe_does_not_stop_the_sampler_or_the_run(fast, tmp_path, caplog):
    run = lt.start_run()
    client = lt.Client()
    probes = [DiskProbe(str(tmp_path / "no such folder")), CpuProbe()]
    sampler = SystemMetricsSampler(client, run.info.run_id, interval=0.05, probes=probes)
    with caplog.at_level(logging.DEBUG, logger="labtrack.system_metrics"):
        sampler.start()
        wait_until(lambda: len(history(run.info.run_id)) >= 4, what="CPU samples")
        assert sampler.alive
        lt.log_metric("loss", 0.5)  # the run goes on
        sampler.stop()
    assert not any(k.startswith("system/disk") for k in system_keys(run.info.run_id))
    failures = [r for r in caplog.records if "disk" in r.getMessage()]
    assert len(failures) == 1 and failures[0].levelno == logging.WARNING  # once, not per sample
    lt.end_run()
    assert lt.get_run(run.info.run_id).info.status == "FINISHED"


def test_absent_gpus_are_simply_absent(fast, caplog):
    with caplog.at_level(logging.INFO, logger="labtrack.system_metrics"):
        with lt.start_run(log_system_metrics=True) as run:
            wait_until(lambda: history(run.info.run_id), what="a CPU sample")
    import importlib.util

    if importlib.util.find_spec("pynvml") is None:
        assert not any("gpu" in k for k in system_keys(run.info.run_id))
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def _child_sampled_runs(queue) -> None:
    queue.put(system_metrics.sampled_runs())


def test_a_forked_child_has_no_sampler_of_its_parent(fast):
    with lt.start_run(log_system_metrics=True) as run:
        wait_until(lambda: history(run.info.run_id), what="a CPU sample")
        assert system_metrics.sampled_runs() == [run.info.run_id]
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_child_sampled_runs, args=(queue,))
        child.start()
        assert queue.get(timeout=30) == []
        child.join(30)


@pytest.fixture
def shell(fast):
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext labtrack")
    shell.run_cell("import labtrack as lt")
    yield shell
    shell.run_cell("while lt.active_run(): lt.end_run()")
    InteractiveShell.clear_instance()


def test_the_track_magic_system_flag(shell):
    shell.user_ns["busy"] = busy
    assert shell.run_cell("%%track --system --name sys --quiet\nbusy()").success
    assert shell.run_cell("%%track --name plain --quiet\nbusy(0.05)").success
    runs = lt.search_runs(output_format="list")
    by_name = {r.info.run_name: r.info.run_id for r in runs}
    assert history(by_name["sys"]) and system_keys(by_name["plain"]) == set()
    assert sampler_threads() == []
    assert shell.run_cell("%track start --system --name span --quiet").success
    span = lt.active_run().info.run_id
    wait_until(lambda: history(span), what="a CPU sample of the span")
    assert shell.run_cell("%track stop").success
    assert sampler_threads() == []


# -- widgets: system metrics are their own group ----------------------------------------------


def test_the_run_table_puts_system_metrics_in_their_own_group(fast):
    from labtrack.widgets import _data

    with lt.start_run(log_system_metrics=True) as run:
        lt.log_metric("loss", 0.3)
        wait_until(lambda: history(run.info.run_id), what="a CPU sample")
    columns = {c["name"]: c for c in _data.table_columns(lt.search_runs())}
    assert columns["metrics.loss"]["group"] == "metrics"
    cpu = columns[f"metrics.{CPU}"]
    assert cpu["group"] == "system" and cpu["label"] == "cpu_utilization_percentage"


def test_the_dashboard_never_charts_a_system_metric_first_and_adds_a_system_chart(fast):
    with lt.start_run(log_system_metrics=True) as run:
        wait_until(lambda: history(run.info.run_id), what="a CPU sample")
        lt.log_metric("zloss", 0.3)  # sorts after "system/...": must still be the main chart
    board = lt.dashboard()
    assert board.chart.metrics == ["zloss"]
    assert board.system is not None and CPU in board.system.metrics
    assert board.system.x_axis == "relative"
    board.table.selected = [run.info.run_id]
    assert board.system.selected == [run.info.run_id]


def test_the_dashboard_has_no_system_chart_without_system_metrics(tracking_uri):
    with lt.start_run():
        lt.log_metric("loss", 0.3)
    assert lt.dashboard().system is None
