"""The REST scoring server: MLflow's request shapes, its answers and its error codes."""

from __future__ import annotations

import threading

import httpx
import numpy as np
import pandas as pd
import pytest

import labtrack as lt
from labtrack.errors import InvalidState


@pytest.fixture
def iris_server(iris, iris_classifier):
    X, _ = iris
    info = lt.log_model(iris_classifier, "model", input_example=X[:5])
    with lt.serve(info.model_uri, port=0, background=True) as server:
        yield server, info


def post(server, body, content_type="application/json"):
    if isinstance(body, (dict, list)):
        return httpx.post(f"{server.url}/invocations", json=body, timeout=30)
    return httpx.post(
        f"{server.url}/invocations",
        content=body,
        headers={"content-type": content_type},
        timeout=30,
    )


def test_every_json_shape_answers_predictions(iris_server, iris, iris_classifier):
    server, _ = iris_server
    X, _ = iris
    rows = X.iloc[[0, 60, 120]]
    expected = iris_classifier.predict(rows).tolist()
    split = rows.to_dict(orient="split", index=False)
    shapes = [
        {"dataframe_split": split},
        {
            "dataframe_split": {
                "columns": list(reversed(split["columns"])),  # any column order
                "data": [list(reversed(r)) for r in split["data"]],
            }
        },
        {"dataframe_records": rows.to_dict(orient="records")},
        {"instances": rows.to_dict(orient="records")},
        {"instances": rows.to_numpy().tolist()},
        {"inputs": rows.to_numpy().tolist()},
        {"inputs": {column: rows[column].tolist() for column in rows.columns}},
    ]
    for body in shapes:
        response = post(server, body)
        assert response.status_code == 200, (body, response.text)
        assert response.json() == {"predictions": expected}


def test_csv_body(iris_server, iris, iris_classifier):
    server, _ = iris_server
    X, _ = iris
    response = post(server, X[:4].to_csv(index=False).encode(), "text/csv")
    assert response.status_code == 200
    assert response.json()["predictions"] == iris_classifier.predict(X[:4]).tolist()


def test_input_the_signature_rejects_is_a_400_naming_the_column(iris_server, iris):
    server, _ = iris_server
    X, _ = iris
    response = post(
        server,
        {"dataframe_records": X[:1].drop(columns=["petal length (cm)"]).to_dict(orient="records")},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "missing column 'petal length (cm)'" in body["message"]

    wrong_type = X[:1].assign(**{"sepal width (cm)": "wide"}).to_dict(orient="records")
    response = post(server, {"dataframe_records": wrong_type})
    assert response.status_code == 400
    assert "column 'sepal width (cm)' must be double" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "error_code", "message"),
    [
        (b"{not json", "application/json", 400, "MALFORMED_REQUEST", "not valid JSON"),
        (b"[1, 2]", "application/json", 400, "BAD_REQUEST", "must be an object"),
        (
            b'{"rows": [[1, 2, 3, 4]]}',
            "application/json",
            400,
            "BAD_REQUEST",
            "exactly one of the keys",
        ),
        (
            b'{"inputs": [[1]], "instances": [[1]]}',
            "application/json",
            400,
            "BAD_REQUEST",
            "exactly one of",
        ),
        (
            b'{"dataframe_split": [[1, 2]]}',
            "application/json",
            400,
            "BAD_REQUEST",
            "dataframe_split must be",
        ),
        (
            b'{"dataframe_records": [1, 2]}',
            "application/json",
            400,
            "BAD_REQUEST",
            "list of objects",
        ),
        (b'{"inputs": [[1, 2], [3]]}', "application/json", 400, "BAD_REQUEST", "same length"),
        # JSON nested past the parser's recursion limit: RecursionError, not a ValueError.
        (
            b"[" * 100_000 + b"]" * 100_000,
            "application/json",
            400,
            "MALFORMED_REQUEST",
            "nested too deeply",
        ),
        (
            b'{"inputs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "application/json",
            400,
            "MALFORMED_REQUEST",
            "nested too deeply",
        ),
        # Nested within the parser's limit but past numpy's dimensions.
        (
            b'{"inputs": ' + b"[" * 500 + b"1" + b"]" * 500 + b"}",
            "application/json",
            400,
            "BAD_REQUEST",
            "inputs do not form an array",
        ),
        # Ragged rows: pandas would pad the short ones with NaN, numpy refuses cryptically.
        (
            b'{"instances": [[1, 2, 3, 4], [5, 6, 7]]}',
            "application/json",
            400,
            "BAD_REQUEST",
            "instances rows must all have the same length: row 0 has 4 values, row 1 has 3",
        ),
        (
            b'{"inputs": [[1, 2, 3, 4], 5]}',
            "application/json",
            400,
            "BAD_REQUEST",
            "inputs rows must all be lists of the same length: row 1 is a single value",
        ),
        (
            b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3]]}}',
            "application/json",
            400,
            "BAD_REQUEST",
            "dataframe_split data rows must all have the same length: row 0 has 2 values, row 1 has 1",
        ),
        (
            b'{"dataframe_split": {"data": [[1, 2], [3, 4, 5]]}}',
            "application/json",
            400,
            "BAD_REQUEST",
            "row 0 has 2 values, row 1 has 3",
        ),
        # No rows: nothing for the model to predict.
        (b'{"instances": []}', "application/json", 400, "BAD_REQUEST", "instances has no rows"),
        (b'{"inputs": []}', "application/json", 400, "BAD_REQUEST", "inputs has no rows"),
        (b'{"inputs": {}}', "application/json", 400, "BAD_REQUEST", "inputs has no rows"),
        (b'{"inputs": {"a": []}}', "application/json", 400, "BAD_REQUEST", "inputs has no rows"),
        (
            b'{"dataframe_records": []}',
            "application/json",
            400,
            "BAD_REQUEST",
            "dataframe_records has no rows",
        ),
        (
            b'{"dataframe_split": {"columns": ["a"], "data": []}}',
            "application/json",
            400,
            "BAD_REQUEST",
            "dataframe_split has no rows",
        ),
        (
            b'{"instances": [[], []]}',
            "application/json",
            400,
            "BAD_REQUEST",
            "instances rows have no values",
        ),
        (
            b'{"dataframe_records": [{}, {}]}',
            "application/json",
            400,
            "BAD_REQUEST",
            "dataframe_records rows have no values",
        ),
        (b"a,b\n", "text/csv", 400, "BAD_REQUEST", "the CSV table has no rows"),
        (
            b'{"inputs": [[1, 2, 3, 4]], "params": 3}',
            "application/json",
            400,
            "BAD_REQUEST",
            "params",
        ),
        (b"a,b\n1,2", "text/plain", 415, "BAD_REQUEST", "unsupported content type 'text/plain'"),
        (b"", "", 415, "BAD_REQUEST", "unsupported content type"),
    ],
)
def test_unreadable_requests(iris_server, body, content_type, status, error_code, message):
    server, _ = iris_server
    response = post(server, body, content_type)
    assert response.status_code == status
    assert response.json()["error_code"] == error_code
    assert message in response.json()["message"]


def test_health_ping_and_version(iris_server):
    server, info = iris_server
    assert httpx.get(f"{server.url}/health").status_code == 200
    assert httpx.get(f"{server.url}/ping").status_code == 200
    assert httpx.get(f"{server.url}/version").json() == {
        "labtrack_version": lt.__version__,
        "model_uri": info.model_uri,
        "model_version": None,
        "flavor": "sklearn",
    }


def test_a_model_that_raises_is_a_500_and_the_server_keeps_serving():
    def picky(frame):
        if (frame["x"] < 0).any():
            raise ValueError("negative x")
        return frame["x"] * 2

    info = lt.log_model(picky, "picky", input_example=pd.DataFrame({"x": [1.0]}))
    with lt.serve(info.model_uri, port=0, background=True) as server:
        response = post(server, {"inputs": {"x": [-1.0]}})
        assert response.status_code == 500
        assert response.json() == {
            "error_code": "INTERNAL_ERROR",
            "message": "the model raised ValueError: negative x",
        }
        assert post(server, {"inputs": {"x": [2.0]}}).json() == {"predictions": [4.0]}


def test_json_numbers_fit_narrow_signatures_and_nan_becomes_null():
    import torch

    net = torch.nn.Linear(2, 1)  # float32 weights: JSON's float64 numbers must narrow
    with torch.no_grad():
        net.weight.fill_(1.0)
        net.bias.fill_(0.0)
    info = lt.log_model(net, "net", input_example=np.zeros((1, 2), dtype="float32"))
    with lt.serve(info.model_uri, port=0, background=True) as server:
        assert post(server, {"instances": [[1, 2], [0.5, 0.25]]}).json() == {
            "predictions": [[3.0], [0.75]]
        }

    nan = lt.log_model(lambda data: np.full(len(data), np.nan), "nan")
    with lt.serve(nan.model_uri, port=0, background=True) as server:
        assert post(server, {"inputs": [[1], [2]]}).json() == {"predictions": [None, None]}


def test_params_reach_the_model():
    class Scaled(lt.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return np.asarray(model_input)[:, 0] * (params or {}).get("factor", 1)

    info = lt.pyfunc.log_model("scaled", python_model=Scaled())
    with lt.serve(info.model_uri, port=0, background=True) as server:
        response = post(server, {"inputs": [[1.5], [2]], "params": {"factor": 2}})
        assert response.json() == {"predictions": [3.0, 4.0]}


def test_concurrent_requests_are_all_answered(iris_server, iris, iris_classifier):
    server, _ = iris_server
    X, _ = iris
    expected = iris_classifier.predict(X).tolist()
    results: list[list[int]] = []

    def call(start: int) -> None:
        rows = X[start : start + 10]
        results.append(
            (start, post(server, {"dataframe_records": rows.to_dict(orient="records")}).json())
        )

    threads = [threading.Thread(target=call, args=(start,)) for start in range(0, 150, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(s for s, _ in results) == list(range(0, 150, 10))
    for start, body in results:
        assert body["predictions"] == expected[start : start + 10]


def test_stop_frees_the_port_and_a_busy_port_is_a_clear_error(iris_classifier):
    info = lt.log_model(iris_classifier, "model")
    server = lt.serve(info.model_uri, port=0, background=True)
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(InvalidState, match=f"cannot listen on 127.0.0.1:{port}"):
        lt.serve(info.model_uri, port=port, background=True)
    server.stop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/health")
    with lt.serve(info.model_uri, port=port, background=True) as again:  # the port is free again
        assert httpx.get(f"{again.url}/health").status_code == 200


def test_foreground_serve_inside_an_event_loop_runs_until_interrupted(iris_classifier, monkeypatch):
    """In a Jupyter kernel an event loop is running, where uvicorn cannot start its own: the
    call still blocks the cell, serves, and ends quietly on the kernel's interrupt."""
    import asyncio
    import os
    import signal

    import labtrack.serving.server as server_module

    info = lt.log_model(iris_classifier, "model")
    ready, urls, answers = threading.Event(), [], []

    def announce(url, model_uri):
        def started():
            urls.append(url)
            ready.set()

        return started

    monkeypatch.setattr(server_module, "announce", announce)

    def notebook_user() -> None:
        try:
            assert ready.wait(60)
            answers.append(httpx.get(f"{urls[0]}/health", timeout=60).status_code)
        finally:  # whatever happened above (the assert below reports it), end the cell
            os.kill(os.getpid(), signal.SIGINT)  # what the kernel's interrupt sends

    async def cell() -> None:
        threading.Thread(target=notebook_user, daemon=True).start()
        lt.serve(info.model_uri, port=0)  # blocks, as in a kernel

    # A kernel's interrupt raises KeyboardInterrupt: Python's own SIGINT handler, which a
    # library imported by an earlier test (Lightning, Keras) may have replaced in this process.
    earlier_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    loop = asyncio.new_event_loop()  # like ipykernel's: no SIGINT handler of its own
    try:
        loop.run_until_complete(cell())
    finally:
        loop.close()
        signal.signal(signal.SIGINT, earlier_handler)
    assert answers == [200]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{urls[0]}/health")
