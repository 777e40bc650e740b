"""labtrack's client against a tracking server over HTTP (``lt.set_tracking_uri("http://...")``):
``labtrack server`` and the real ``mlflow server``, each on a temp SQLite store."""

from __future__ import annotations

import multiprocessing
import time
import tracemalloc

import pytest

import labtrack as lt
from labtrack.entities import Metric, Param, ViewType
from labtrack.errors import AlreadyExists, InvalidParameter, NotFound
from labtrack.store.rest.http import HttpClient
from labtrack.store.rest.store import MAX_METRICS_PER_BATCH, RestStore

POINTS = 10_000


def test_a_run_logged_over_http_reads_back_whole(server, monkeypatch):
    requests = []
    real_call = HttpClient.call

    def call(self, method, endpoint, *args, **kwargs):
        requests.append(endpoint)
        return real_call(self, method, endpoint, *args, **kwargs)

    monkeypatch.setattr(HttpClient, "call", call)
    lt.set_experiment("http-runs")
    with lt.start_run(run_name="first") as run:
        lt.log_params({"lr": 0.1, "layers": 3})
        lt.set_tag("team", "vision")
        before = len(requests)
        for step in range(POINTS):
            lt.log_metric("loss", 1.0 / (step + 1), step=step)
        during = len(requests) - before
        lt.log_metric("nan", float("nan"))
    # A point costs the caller a buffer append: the writer sends them in batches (of up
    # to MLflow's 1,000 per request), never a request per point.
    assert during <= POINTS // 100, f"{during} requests for {POINTS} points"
    assert isinstance(lt.Client().store, RestStore)

    client = lt.Client()
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [point.step for point in history] == list(range(POINTS))
    assert [point.value for point in history] == [1.0 / (step + 1) for step in range(POINTS)]
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.info.end_time is not None
    assert got.data.params == {"lr": "0.1", "layers": "3"}
    assert got.data.tags["team"] == "vision" and got.data.tags["mlflow.runName"] == "first"
    assert got.data.metrics["loss"] == 1.0 / POINTS
    assert got.data.metrics["nan"] != got.data.metrics["nan"]


def test_search_runs_filters_and_orders_on_the_server(server):
    experiment = lt.set_experiment("http-search")
    for c in (0.1, 1.0, 10.0):
        with lt.start_run(run_name=f"C={c}"):
            lt.log_param("C", c)
            lt.log_metric("acc", c / 10)
    frame = lt.search_runs(
        experiment_ids=[experiment.experiment_id],
        filter_string="metrics.acc > 0.05",
        order_by=["metrics.acc DESC"],
    )
    assert list(frame["params.C"]) == ["10.0", "1.0"]
    runs = lt.Client().search_runs([experiment.experiment_id], "params.C = '0.1'", max_results=10)
    assert [run.data.params["C"] for run in runs] == ["0.1"]
    with pytest.raises(InvalidParameter):
        lt.Client().search_runs([experiment.experiment_id], "metrics.acc >>> 1")


def test_log_batch_splits_at_mlflows_limits(server):
    client = lt.Client()
    run = client.create_run("0")
    params = [Param(f"p{i}", str(i)) for i in range(250)]
    metrics = [Metric("m", float(i), 1_000 + i, i) for i in range(3 * MAX_METRICS_PER_BATCH + 1)]
    client.log_batch(run.info.run_id, metrics=metrics, params=params, synchronous=True)
    got = client.get_run(run.info.run_id)
    assert len(got.data.params) == 250
    assert len(client.get_metric_history(run.info.run_id, "m")) == len(metrics)


def test_server_errors_are_labtrack_errors(server):
    client = lt.Client()
    with pytest.raises(NotFound):
        client.get_run("0" * 32)
    with pytest.raises(NotFound):
        client.get_experiment("123456")
    assert client.get_experiment_by_name("no such experiment") is None
    with pytest.raises(AlreadyExists):
        client.create_experiment("twice")
        client.create_experiment("twice")


def test_artifacts_go_through_the_servers_proxy(server, tmp_path):
    source = tmp_path / "out"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "sub" / "b.bin").write_bytes(bytes(range(256)) * 1000)
    with lt.start_run() as run:
        lt.log_artifact(source / "a.txt")
        lt.log_artifacts(source, "tree")
        lt.log_dict({"k": 1}, "d/config.json")
    client = lt.Client()
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
    listed = {(f.path, f.is_dir) for f in client.list_artifacts(run.info.run_id)}
    assert listed == {("a.txt", False), ("d", True), ("tree", True)}
    assert [f.path for f in client.list_artifacts(run.info.run_id, "tree/sub")] == [
        "tree/sub/b.bin"
    ]
    local = client.download_artifacts(run.info.run_id, "tree", str(tmp_path / "down"))
    assert (tmp_path / "down" / "tree" / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 1000
    assert local == str(tmp_path / "down" / "tree")


def test_a_model_logged_registered_and_loaded_by_alias(server, iris, iris_classifier):
    X, _ = iris
    with lt.start_run():
        info = lt.log_model(
            iris_classifier, "model", input_example=X[:3], registered_model_name="iris-http"
        )
    client = lt.Client()
    client.set_registered_model_alias("iris-http", "champion", info.registered_model_version)
    assert client.get_model_version_by_alias("iris-http", "champion").version == int(
        info.registered_model_version
    )
    model = lt.pyfunc.load_model("models:/iris-http@champion")
    assert list(model.predict(X[:5])) == list(iris_classifier.predict(X[:5]))


def test_the_registry_over_http(server):
    client = lt.Client()
    run = client.create_run("0")
    source = f"runs:/{run.info.run_id}/model"
    client.create_registered_model("reg-http", tags={"team": "a"}, description="first")
    first = client.create_model_version("reg-http", source, run.info.run_id)
    second = client.create_model_version("reg-http", source, run.info.run_id, tags={"k": "v"})
    assert (first.version, second.version) == (1, 2) and second.tags == {"k": "v"}
    client.transition_model_version_stage("reg-http", 2, "Production")
    client.set_registered_model_alias("reg-http", "champion", 1)
    model = client.get_registered_model("reg-http")
    assert model.aliases == {"champion": 1} and model.tags == {"team": "a"}
    assert model.description == "first"
    assert [v.version for v in client.get_latest_versions("reg-http", ["Production"])] == [2]
    found = client.search_model_versions("name = 'reg-http'")
    assert sorted(v.version for v in found) == [1, 2]
    assert [m.name for m in client.search_registered_models("name = 'reg-http'")] == ["reg-http"]
    client.delete_registered_model_alias("reg-http", "champion")
    with pytest.raises(NotFound):
        client.get_model_version_by_alias("reg-http", "champion")
    with pytest.raises(AlreadyExists):
        client.create_registered_model("reg-http")


def test_the_registrys_history_over_http(server, request):
    client = lt.Client()
    run = client.create_run("0")
    client.create_registered_model("hist-http")
    client.create_model_version("hist-http", f"runs:/{run.info.run_id}/model", run.info.run_id)
    client.transition_model_version_stage("hist-http", 1, "Staging")
    with pytest.raises(NotFound):
        client.get_registry_history("no-such-model")
    if request.node.callspec.params["server"] == "mlflow":
        with pytest.raises(lt.MlflowException, match="only labtrack server keeps it"):
            client.get_registry_history("hist-http")
        return
    events = client.get_registry_history("hist-http", 1)
    assert [(e.action, e.version, e.from_value, e.to_value) for e in events][:2] == [
        ("transition_stage", 1, "None", "Staging"),
        ("create_version", 1, None, f"runs:/{run.info.run_id}/model"),
    ]
    assert events[0].user_id  # who made the change, as the server recorded it
    assert {e.action for e in client.get_registry_history("hist-http")} >= {"create_model"}


def test_large_artifacts_stream_both_ways(server, tmp_path):
    size = 96 << 20
    big = tmp_path / "big.bin"
    with open(big, "wb") as out:
        for chunk in range(size >> 20):
            out.write(bytes([chunk % 251]) * (1 << 20))
    client = lt.Client()
    run = client.create_run("0")
    tracemalloc.start()
    try:
        client.log_artifact(run.info.run_id, big, "data")
        local = client.download_artifacts(run.info.run_id, "data/big.bin", str(tmp_path / "down"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Held whole, the file would be its size; streamed, a few buffers (the same 16 MiB at
    # most for 16, 64 or 128 MiB files from mlflow server; under 1 MiB from labtrack's).
    assert peak < size / 3, f"{peak / 2**20:.0f} MiB held at once for a {size >> 20} MiB file"
    with open(big, "rb") as expected, open(local, "rb") as got:
        while block := expected.read(1 << 20):
            assert got.read(1 << 20) == block
    assert client.list_artifacts(run.info.run_id, "data")[0].file_size == size


def _log_in_a_child(run_id: str) -> None:
    client = lt.Client()
    for step in range(100):
        client.log_metric(run_id, "child", float(step), step=step)


def test_points_logged_in_a_forked_child_arrive_by_the_time_it_is_joined(server):
    with lt.start_run() as run:
        lt.log_metric("parent", 1.0)
        lt.flush()  # the parent's connections are open when the child is forked
        child = multiprocessing.get_context("fork").Process(
            target=_log_in_a_child, args=(run.info.run_id,)
        )
        child.start()
        child.join(60)
        assert child.exitcode == 0
    history = lt.Client().get_metric_history(run.info.run_id, "child")
    assert [point.step for point in history] == list(range(100))


def test_experiments_ordered_paged_and_untagged_over_http(server):
    import uuid

    prefix = f"ordered-{uuid.uuid4().hex[:8]}"
    client = lt.Client()
    ids = [client.create_experiment(f"{prefix}-{letter}") for letter in "bca"]
    client.set_experiment_tag(ids[0], "team", "vision")
    client.delete_experiment_tag(ids[0], "team")
    assert "team" not in client.get_experiment(ids[0]).tags

    names, token = [], None
    while True:
        page = client.search_experiments(
            filter_string=f"name LIKE '{prefix}%'",
            order_by=["name DESC"],
            max_results=2,
            page_token=token,
        )
        names += [experiment.name for experiment in page]
        token = page.token
        if not token:
            break
    assert names == [f"{prefix}-{letter}" for letter in "cba"]


def test_the_same_tags_on_several_runs_over_http(server):
    """A run's git state, recorded for the runs that started while git ran: a live run of
    this process takes it with its next points, the others by request."""
    import uuid

    client = lt.Client()
    experiment_id = client.create_experiment(f"shared-tags-{uuid.uuid4().hex[:8]}")
    ended = client.create_run(experiment_id).info.run_id
    client.set_terminated(ended)
    lt.set_experiment(experiment_id=experiment_id)
    with lt.start_run() as live:
        gone = "0" * 32  # no such run: left out, the others still get the tags
        client.set_tags_of_runs([ended, gone, live.info.run_id], {"team": "vision"})
    for run_id in (ended, live.info.run_id):
        assert client.get_run(run_id).data.tags["team"] == "vision"


def test_count_runs_matches_search_with_a_filter_and_a_view(server, monkeypatch):
    client = lt.Client()
    experiment = client.create_experiment(f"http-count-{server.kind}-{time.time_ns()}")
    for i in range(5):
        run = client.create_run(experiment)
        client.log_batch(run.info.run_id, params=[Param("k", str(i % 2))])
    client.delete_run(run.info.run_id)
    client.flush()
    assert client.count_runs(experiment) == 4  # the deleted run left out
    assert client.count_runs(experiment, run_view_type=ViewType.ALL) == 5
    assert client.count_runs(experiment, "params.k = '0'") == 2
    assert client.count_runs(experiment, "params.k = '0'") == len(
        client.search_runs(experiment, "params.k = '0'")
    )
    with pytest.raises(InvalidParameter):  # the server's 400, not a fallback to the pages
        client.count_runs(experiment, "params.k ==== 1")
    asked = []
    real_call = client.store.http.call
    monkeypatch.setattr(
        client.store.http,
        "call",
        lambda *args, **kw: asked.append(args[1]) or real_call(*args, **kw),
    )
    assert client.count_runs(experiment, "params.k = '1'") == 2
    # labtrack server counts in one request; mlflow server, which has no such route, is not
    # asked for it again: its pages are read.
    assert asked == (["labtrack/runs/count"] if server.kind == "labtrack" else ["runs/search"])
    if server.kind == "labtrack":
        # Counted in the server's SQL (labtrack/runs/count): no page of runs is read.
        def read_pages(*_args, **_kwargs):
            raise AssertionError("count_runs read the runs")

        monkeypatch.setattr(client.store.search, "search_runs", read_pages)
        assert client.count_runs(experiment, "params.k = '1'") == 2
        assert client.count_runs(experiment, run_view_type=ViewType.DELETED_ONLY) == 1
