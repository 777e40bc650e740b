"""MLflow's REST API of ``labtrack server`` over plain HTTP: message shapes, errors with
MLflow's codes and statuses, URIs, and the artifact proxy's path checks."""

from __future__ import annotations

import hashlib
import json
import sys
import uuid

import httpx
import pytest

import labtrack as lt

from .conftest import new_experiment, new_run, start_server, stop_server


def test_a_run_reads_as_mlflow_writes_it(shared_server):
    run = new_run(shared_server)
    run_id = run["info"]["run_id"]
    assert run["info"]["run_uuid"] == run_id and run["info"]["status"] == "RUNNING"
    assert run["info"]["start_time"] == 1000  # int64 fields are JSON numbers
    body = {"run_id": run_id, "key": "loss", "value": "NaN", "timestamp": "5", "step": "2"}
    assert shared_server.api("POST", "runs/log-metric", json=body).status_code == 200
    body = {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 6, "step": 3}
    assert shared_server.api("POST", "runs/log-metric", json=body).status_code == 200
    assert (
        shared_server.api(
            "POST", "runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"}
        )
    ).status_code == 200

    # Persisted before the response: another process reads it at once.
    reader = lt.Client(shared_server.store_uri)
    assert [m.step for m in reader.get_metric_history(run_id, "loss")] == [2, 3]
    got = shared_server.api("GET", "runs/get", params={"run_id": run_id}).json()["run"]
    assert got["data"]["params"] == [{"key": "lr", "value": "0.1"}]
    assert got["data"]["metrics"] == [{"key": "loss", "value": 0.5, "timestamp": 6, "step": 3}]
    history = shared_server.api(
        "GET", "metrics/get-history", params={"run_id": run_id, "metric_key": "loss"}
    ).json()
    assert history == {
        "metrics": [
            {"key": "loss", "value": "NaN", "timestamp": 5, "step": 2},
            {"key": "loss", "value": 0.5, "timestamp": 6, "step": 3},
        ]
    }
    first_page = shared_server.api(
        "GET",
        "metrics/get-history",
        params={"run_id": run_id, "metric_key": "loss", "max_results": 1},
    ).json()
    assert [m["step"] for m in first_page["metrics"]] == [2]
    second_page = shared_server.api(
        "GET",
        "metrics/get-history",
        params={
            "run_id": run_id,
            "metric_key": "loss",
            "max_results": 1,
            "page_token": first_page["next_page_token"],
        },
    ).json()
    assert [m["step"] for m in second_page["metrics"]] == [3]
    assert "next_page_token" not in second_page

    ended = shared_server.api(
        "POST", "runs/update", json={"run_id": run_id, "status": "FINISHED", "end_time": 9000}
    ).json()["run_info"]
    assert ended["status"] == "FINISHED" and ended["end_time"] == 9000


def test_artifact_uris_read_as_proxied_and_are_stored_real(shared_server):
    run = new_run(shared_server)
    public = run["info"]["artifact_uri"]
    assert public.startswith("mlflow-artifacts:/")
    stored = lt.Client(shared_server.store_uri).get_run(run["info"]["run_id"]).info.artifact_uri
    assert stored.startswith(str(shared_server.destination))
    relative = public.removeprefix("mlflow-artifacts:/")
    assert stored == str(shared_server.destination / relative)

    # A file uploaded through the proxy is one of the run's artifacts, for labtrack too.
    url = f"{shared_server.url}/api/2.0/mlflow-artifacts/artifacts/{relative}/data/blob.bin"
    payload = bytes(range(256)) * 40_000  # 10 MB, streamed both ways
    assert httpx.put(url, content=payload, timeout=60).status_code == 200
    assert httpx.get(url, timeout=60).content == payload
    listing = shared_server.api(
        "GET", "artifacts/list", params={"run_id": run["info"]["run_id"], "path": "data"}
    ).json()
    assert listing == {
        "root_uri": public,
        "files": [{"path": "data/blob.bin", "is_dir": False, "file_size": len(payload)}],
    }
    client = lt.Client(shared_server.store_uri)
    assert [f.path for f in client.list_artifacts(run["info"]["run_id"], "data")] == [
        "data/blob.bin"
    ]
    proxied = httpx.get(
        f"{shared_server.url}/api/2.0/mlflow-artifacts/artifacts",
        params={"path": f"{relative}/data"},
    ).json()
    assert proxied == {"files": [{"path": "blob.bin", "is_dir": False, "file_size": len(payload)}]}
    assert httpx.delete(url).status_code == 200
    assert client.list_artifacts(run["info"]["run_id"], "data") == []


@pytest.mark.parametrize(
    "path",
    ["..%2F..%2Fescaped.txt", "a/..%2F..%2F..%2Fescaped.txt", "%2Fetc%2Fescaped.txt", "a%5C..%5Cb"],
)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_the_proxy_refuses_paths_that_leave_the_destination(shared_server, method, path):
    response = httpx.request(
        method,
        f"{shared_server.url}/api/2.0/mlflow-artifacts/artifacts/{path}",
        content=b"x" if method == "PUT" else None,
    )
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert not (shared_server.destination.parent / "escaped.txt").exists()
    assert not (shared_server.destination.parent.parent / "escaped.txt").exists()


def test_an_experiment_cannot_point_its_artifacts_outside_the_destination(shared_server):
    response = shared_server.api(
        "POST",
        "experiments/create",
        json={"name": "escape", "artifact_location": "mlflow-artifacts:/../elsewhere"},
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    ("method", "endpoint", "kwargs", "status", "code"),
    [
        ("GET", "runs/get", {"params": {"run_id": "0" * 32}}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("GET", "runs/get", {}, 400, "INVALID_PARAMETER_VALUE"),
        (
            "GET",
            "experiments/get-by-name",
            {"params": {"experiment_name": "nope"}},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
        (
            "GET",
            "registered-models/get",
            {"params": {"name": "nope"}},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
        ("POST", "runs/create", {"content": b"{not json"}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "runs/create", {"json": ["a list"]}, 400, "INVALID_PARAMETER_VALUE"),
        (
            "POST",
            "experiments/create",
            {"json": {"name": "Default"}},
            400,
            "RESOURCE_ALREADY_EXISTS",
        ),
        (
            "POST",
            "runs/search",
            {"json": {"experiment_ids": ["0"], "filter": "metrics.x >>> 1"}},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        ("GET", "no/such/endpoint", {}, 404, "ENDPOINT_NOT_FOUND"),
        ("GET", "runs/create", {}, 405, "ENDPOINT_NOT_FOUND"),
    ],
)
def test_errors_have_mlflows_codes_and_statuses(
    shared_server, method, endpoint, kwargs, status, code
):
    response = shared_server.api(method, endpoint, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code and body["message"]


def test_conflicts_and_oversized_batches_are_400_never_500(shared_server):
    run_id = new_run(shared_server)["info"]["run_id"]
    log = {"run_id": run_id, "key": "lr", "value": "0.1"}
    assert shared_server.api("POST", "runs/log-parameter", json=log).status_code == 200
    changed = shared_server.api("POST", "runs/log-parameter", json=log | {"value": "0.2"})
    assert changed.status_code == 400  # MLflow's client retries a 5xx: a conflict is not one

    metrics = [{"key": "m", "value": 1, "timestamp": 1, "step": i} for i in range(1001)]
    too_many = shared_server.api(
        "POST", "runs/log-batch", json={"run_id": run_id, "metrics": metrics}
    )
    assert too_many.status_code == 400
    assert "at most 1000 metrics" in too_many.json()["message"]
    bad_value = shared_server.api(
        "POST",
        "runs/log-batch",
        json={"run_id": run_id, "metrics": [{"key": "m", "value": "high", "timestamp": 1}]},
    )
    assert (
        bad_value.status_code == 400 and bad_value.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    )
    assert lt.Client(shared_server.store_uri).get_metric_history(run_id, "m") == []


def test_the_ajax_api_prefix_serves_the_same_endpoints(shared_server):
    response = httpx.post(
        f"{shared_server.url}/ajax-api/2.0/mlflow/experiments/search",
        json={"max_results": 10},
    )
    assert response.status_code == 200
    assert "Default" in [e["name"] for e in response.json()["experiments"]]


@pytest.mark.slow
def test_several_workers_serve_one_store(tmp_path):
    server = start_server(tmp_path, "--workers", "2")
    try:
        ids = {new_experiment(server) for _ in range(6)}  # spread over the workers
        names = {
            e["name"]
            for e in server.api("POST", "experiments/search", json={}).json()["experiments"]
        }
        assert len(ids) == 6 and len(names) == 7  # and Default
    finally:
        stop_server(server)


# Messages wrong in every way a client can get them wrong: fields of the wrong type, or
# naming nothing that exists (with a filter that does not parse, for the searches).
_BAD_MESSAGES = [
    {
        "name": {"a": 1},
        "run_id": 5,
        "experiment_id": [1, 2],
        "version": "one",
        "key": None,
        "filter": "name ===",
    },
    {
        "name": "x",
        "run_id": "0" * 32,
        "experiment_id": "999",
        "version": "7",
        "key": "k",
        "value": {"v": 1},
        "metrics": [{"key": "m", "value": [1]}],
        "tags": "not a list",
        "params": [{"value": "no key"}],
        "stages": 3,
        "status": "DONE",
        "max_results": "many",
        "view_type": "SOME",
        "run_view_type": 99,
        "alias": "",
        "source": 12,
        "new_name": "y",
        "filter": "name ===",
        "page_token": "%%%",
        "experiment_ids": "0",
    },
    # Numbers a 64-bit (or the store's 32-bit) column cannot hold, digits that are not ASCII,
    # and keys that are not strings.
    {
        "name": "x",
        "run_id": "0" * 32,
        "experiment_id": "99999999999999999999999",
        "experiment_ids": ["99999999999999999999999"],
        "version": "99999999999999999999999",
        "max_results": "99999999999999999999",
        "start_time": 99999999999999999999999,
        "end_time": "99999999999999999999999",
        "page_token": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk=",  # an offset of 99999999999999999999999
        "key": "k",
        "params": [{"key": ["a"]}],
        "tags": [{"key": ["a"]}],
        "source": "runs:/x/model",
    },
    {
        "experiment_id": "²",
        "experiment_ids": ["²"],
        "tags": [{"key": "k", "value": ["v"]}],
        "max_results": "²",
    },
]


def _endpoints():
    from labtrack.tracking_server.handlers import ENDPOINTS

    for method, path, _function in ENDPOINTS:
        path = path.replace("{model_id}", "m-" + "0" * 32).replace("{tag_key}", "k")
        yield method, path


def _send(server, method: str, path: str, message: dict) -> httpx.Response:
    if method == "GET":
        params = {k: v for k, v in message.items() if isinstance(v, (str, int))}
        return server.api(method, path, params=params)
    return server.api(method, path, json=message)


@pytest.mark.parametrize(("method", "path"), list(_endpoints()))
def test_bad_input_is_a_client_error_on_every_endpoint(shared_server, method, path):
    # An empty message is fine for some endpoints (a search), never a server error.
    assert _send(shared_server, method, path, {}).status_code < 500
    for message in _BAD_MESSAGES:
        response = _send(shared_server, method, path, message)
        assert 400 <= response.status_code < 500, (message, response.text)
        assert response.json()["error_code"] in (
            "INVALID_PARAMETER_VALUE",
            "RESOURCE_DOES_NOT_EXIST",
        ), response.text


def _peak_rss_bytes(pid: int) -> int:
    """The process's peak resident memory so far (Linux's VmHWM)."""
    for line in open(f"/proc/{pid}/status").read().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/<pid>/status")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_a_200_mb_artifact_streams_through_the_proxy(shared_server):
    size, chunk = 200 * 2**20, bytes(range(256)) * 4096  # 1 MiB chunks
    run = new_run(shared_server)
    relative = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    url = f"{shared_server.url}/api/2.0/mlflow-artifacts/artifacts/{relative}/big.bin"
    before = _peak_rss_bytes(shared_server.process.pid)

    upload = httpx.put(url, content=(chunk for _ in range(size // len(chunk))), timeout=300)
    assert upload.status_code == 200, upload.text
    received, digest = 0, hashlib.sha256()
    with httpx.stream("GET", url, timeout=300) as download:
        for part in download.iter_bytes():
            received += len(part)
            digest.update(part)
    expected = hashlib.sha256()
    for _ in range(size // len(chunk)):
        expected.update(chunk)
    assert received == size and digest.digest() == expected.digest()

    growth = _peak_rss_bytes(shared_server.process.pid) - before
    assert growth < 50 * 2**20, f"the server's peak memory grew by {growth / 2**20:.0f} MiB"


def test_log_model_adds_to_the_runs_model_history(shared_server):
    run_id = new_run(shared_server)["info"]["run_id"]
    for path in ("model", "other"):
        model = {"artifact_path": path, "flavors": {"python_function": {}}, "run_id": run_id}
        body = {"run_id": run_id, "model_json": json.dumps(model)}
        assert shared_server.api("POST", "runs/log-model", json=body).status_code == 200
    tags = lt.Client(shared_server.store_uri).get_run(run_id).data.tags
    history = json.loads(tags["mlflow.log-model.history"])
    assert [m["artifact_path"] for m in history] == ["model", "other"]
    for bad in ("not json", json.dumps(["a list"]), json.dumps({"flavors": {}})):
        body = {"run_id": run_id, "model_json": bad}
        assert shared_server.api("POST", "runs/log-model", json=body).status_code == 400


def test_concurrent_clients_each_get_every_write_persisted(shared_server):
    from concurrent.futures import ThreadPoolExecutor

    experiment_id = new_experiment(shared_server)

    def client_session(index: int) -> str:
        with httpx.Client(base_url=f"{shared_server.url}/api/2.0/mlflow/", timeout=60) as http:
            run = http.post("runs/create", json={"experiment_id": experiment_id}).json()["run"]
            run_id = run["info"]["run_id"]
            for step in range(20):
                point = {"run_id": run_id, "key": "x", "value": index, "timestamp": 1, "step": step}
                assert http.post("runs/log-metric", json=point).status_code == 200
            batch = [{"key": f"b{i}", "value": i, "timestamp": 1, "step": 0} for i in range(50)]
            body = {
                "run_id": run_id,
                "metrics": batch,
                "params": [{"key": "i", "value": str(index)}],
            }
            assert http.post("runs/log-batch", json=body).status_code == 200
            return run_id

    with ThreadPoolExecutor(8) as pool:
        run_ids = list(pool.map(client_session, range(8)))

    client = lt.Client(shared_server.store_uri)
    for index, run_id in enumerate(run_ids):
        run = client.get_run(run_id)
        assert run.data.params == {"i": str(index)} and len(run.data.metrics) == 51
        assert [m.value for m in client.get_metric_history(run_id, "x")] == [index] * 20


def test_experiment_search_pages(tmp_path):
    server = start_server(tmp_path)
    try:
        created = {new_experiment(server) for _ in range(4)}
        seen, token, pages = [], None, 0
        while True:
            body = {"max_results": 2} | ({"page_token": token} if token else {})
            page = server.api("POST", "experiments/search", json=body).json()
            seen += [e["experiment_id"] for e in page["experiments"]]
            pages += 1
            token = page.get("next_page_token")
            if not token:
                break
        assert pages == 3 and sorted(seen) == sorted(created | {"0"})
        bad = server.api("POST", "experiments/search", json={"page_token": "not-a-token"})
        assert bad.status_code == 400
    finally:
        stop_server(server)


def test_a_request_body_over_16_mb_is_a_413_before_it_is_read(shared_server):
    from labtrack.tracking_server.app import MAX_BODY_BYTES

    url = f"{shared_server.url}/api/2.0/mlflow/runs/log-batch"
    body = b'{"run_id": "' + b"x" * MAX_BODY_BYTES + b'"}'
    declared = httpx.post(url, content=body, timeout=60)
    chunked = httpx.post(url, content=iter([body[:1000], body[1000:]]), timeout=60)
    for response in (declared, chunked):
        assert response.status_code == 413, response.text
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "larger than" in declared.json()["message"]


def test_a_model_version_source_stays_in_the_destination(shared_server):
    run = new_run(shared_server)
    run_id, name = run["info"]["run_id"], f"m-{uuid.uuid4().hex}"
    assert shared_server.api("POST", "registered-models/create", json={"name": name}).is_success

    def create(source: str) -> httpx.Response:
        body = {"name": name, "source": source}
        return shared_server.api("POST", "model-versions/create", json=body)

    inside = f"{shared_server.destination}/{run['info']['experiment_id']}/{run_id}/artifacts/m"
    for source in (
        "/etc",
        "file:///etc",
        f"runs:/{run_id}/../../1",
        f"runs:/{run_id}/a/%2e%2e/%2e%2e/%2e%2e/x",
        f"{inside}/../../../../..",
        "s3://bucket/a/../b",
    ):
        response = create(source)
        assert response.status_code == 400, (source, response.text)
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    for source in (f"runs:/{run_id}/model", inside, "s3://bucket/model"):
        assert create(source).status_code == 200, source


def test_an_app_built_in_a_kernel_leaves_later_stores_their_own_artifact_root(tmp_path):
    """build_app's destination is the root of that app's store only: a store opened later in
    the same process keeps its artifacts beside itself, as before the app was built."""
    from labtrack.tracking_server.app import build_app

    build_app(f"sqlite:///{tmp_path / 'served.db'}", str(tmp_path / "served-artifacts"))
    assert lt.Client(f"sqlite:///{tmp_path / 'served.db'}").store.artifact_root == str(
        tmp_path / "served-artifacts"
    )
    later = lt.Client(f"sqlite:///{tmp_path / 'later' / 'labtrack.db'}")
    assert later.store.artifact_root.startswith(str(tmp_path / "later"))
