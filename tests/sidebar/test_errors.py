"""Every error the sidebar API answers is JSON that says what went wrong, with the status
that fits: a refused request says it was refused (403), a method a route lacks says so
(405), and input no route can use (JSON nested past the parser's depth, a number beyond the
store's 64 bits) is a 400 on every route, never a 500."""

from __future__ import annotations

import json
import re

import pytest
from tornado.httpclient import HTTPClientError

from labtrack.sidebar.routes import ROUTES

BEYOND_64_BITS = "99999999999999999999999"
DEEPLY_NESTED = "[" * 100_000 + "]" * 100_000  # json.loads raises RecursionError
BODY_METHODS = ("POST", "PUT", "PATCH")


def _path(pattern: str, segment: str) -> list[str]:
    return re.sub(r"\(\[\^/\]\+\)", segment, pattern).split("/")


def _real_path(pattern: str, store: dict) -> list[str]:
    """The route's path to things the ``store`` fixture made: each argument by the word
    before it."""
    values = {
        "experiments": store["experiment_id"],
        "runs": store["run_ids"][0],
        "models": "iris-svm",
        "versions": "1",
        "aliases": "champion",
        "deployments": "iris-prod",
    }
    path = re.sub(r"(\w+)/\(\[\^/\]\+\)", lambda m: f"{m[1]}/{values[m[1]]}", pattern)
    return path.split("/")


def _every_route_and_method():
    return [
        (pattern, method) for pattern, handler in ROUTES for method in handler.allowed_methods()
    ]


def _with_body(routes):
    return [(pattern, method) for pattern, method in routes if method in BODY_METHODS]


async def _error(jp_fetch, parts, method="GET", body=None, **kwargs) -> tuple[int, dict, object]:
    if body is None and method in BODY_METHODS:
        body = "{}"
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("labtrack", "api", *parts, method=method, body=body, **kwargs)
    response = raised.value.response
    assert response.headers["Content-Type"] == "application/json"
    return raised.value.code, json.loads(response.body), response.headers


async def test_a_request_without_credentials_is_403_saying_so(store, jp_fetch):
    code, reply, _ = await _error(jp_fetch, ["models"], headers={"Authorization": ""})
    assert code == 403
    assert reply["error_code"] == "PERMISSION_DENIED"
    assert reply["message"].startswith("Forbidden: ") and "sign in" in reply["message"]


async def test_a_method_a_route_lacks_is_405_naming_the_ones_it_has(store, jp_fetch):
    for pattern, handler in ROUTES:
        allowed = handler.allowed_methods()
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - set(allowed)):
            code, reply, headers = await _error(jp_fetch, _path(pattern, "x"), method=method)
            assert code == 405, (pattern, method)
            assert reply["message"] == (
                "Method Not Allowed: "
                f"{method} is not a method of this route "
                f"(it has {', '.join(allowed)})"
            ), (pattern, method)
            assert headers["Allow"] == ", ".join(allowed)


@pytest.mark.parametrize("pattern, method", _with_body(_every_route_and_method()))
async def test_json_nested_too_deeply_is_400_on_every_route_with_a_body(
    store, jp_fetch, pattern, method
):
    code, reply, _ = await _error(
        jp_fetch, _real_path(pattern, store), method=method, body=DEEPLY_NESTED
    )
    assert code == 400, reply
    assert reply["message"] == "request body is not JSON: it is nested too deeply"


async def test_numbers_beyond_64_bits_in_a_path_are_never_a_500(store, jp_fetch):
    """Every path argument of every route, and the listing limit, as a 23-digit number: an
    experiment id or a version that large is a 400 saying so; a model name, an alias or a run
    id that large is merely unknown or refused as a name."""
    for pattern, method in _every_route_and_method():
        takes_a_number = "/versions/" in pattern or pattern.startswith("experiments/")
        body = json.dumps({"stage": "Staging", "version": "1"}) if method in BODY_METHODS else None
        try:
            await jp_fetch(
                "labtrack",
                "api",
                *_path(pattern, BEYOND_64_BITS),
                method=method,
                body=body,
                params={"max_results": BEYOND_64_BITS},
            )
        except HTTPClientError as error:
            reply = json.loads(error.response.body)
            assert error.code in (400, 404), (pattern, method, error.code, reply)
            if takes_a_number:
                assert error.code == 400, (pattern, method)
                assert "beyond the signed 64-bit range" in reply["message"], (pattern, method)
        else:
            assert not takes_a_number and method == "GET", (pattern, method)


async def test_numbers_beyond_64_bits_in_a_body_are_never_a_500(store, jp_fetch):
    """Every route with a body, on things that exist, given every field as a 23-digit number
    where a number fits: a route that reads a version from its body (an alias) answers 400;
    the others do their work."""
    for pattern, method in _with_body(_every_route_and_method()):
        body = {
            "version": int(BEYOND_64_BITS),
            "stage": "Staging",
            "comment": BEYOND_64_BITS,
            "note": BEYOND_64_BITS,  # a run's note: text, whatever it says
        }
        try:
            await jp_fetch(
                "labtrack", "api", *_real_path(pattern, store), method=method, body=json.dumps(body)
            )
        except HTTPClientError as error:
            reply = json.loads(error.response.body)
            if pattern.startswith("deployments/"):  # no server runs here to stop: a clear 404
                assert error.code == 404, (pattern, method, reply)  # (test_deployments stops one)
                continue
            assert (error.code, "/aliases/" in pattern) == (400, True), (pattern, method, reply)
            assert "beyond the signed 64-bit range" in reply["message"], (pattern, method)
        else:
            assert "/aliases/" not in pattern, (pattern, method)


@pytest.mark.parametrize("version", [int(BEYOND_64_BITS), BEYOND_64_BITS, "9" * 5000])
async def test_an_alias_to_a_version_beyond_64_bits_is_400(store, jp_fetch, version):
    code, reply, _ = await _error(
        jp_fetch,
        ["models", "iris-svm", "aliases", "champion"],
        method="PUT",
        body=json.dumps({"version": version}),
    )
    assert code == 400
    assert "beyond the signed 64-bit range" in reply["message"]
    assert len(reply["message"]) < 200  # a 5,000-digit number is not echoed whole


async def test_a_version_of_5000_digits_in_the_path_is_400(store, jp_fetch):
    code, reply, _ = await _error(jp_fetch, ["models", "iris-svm", "versions", "9" * 5000])
    assert code == 400
    assert "beyond the signed 64-bit range" in reply["message"] and len(reply["message"]) < 200


async def test_the_largest_version_a_store_keeps_is_merely_unknown(store, jp_fetch):
    code, reply, _ = await _error(jp_fetch, ["models", "iris-svm", "versions", str(2**31 - 1)])
    assert code == 404 and reply["error_code"] == "RESOURCE_DOES_NOT_EXIST"


async def test_a_version_beyond_the_stores_column_is_a_400_that_says_so(store, jp_fetch):
    code, reply, _ = await _error(jp_fetch, ["models", "iris-svm", "versions", str(2**63 - 1)])
    assert code == 400 and "beyond the largest a store keeps" in reply["message"]
