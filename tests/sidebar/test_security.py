"""Every route needs authentication, state changes need the XSRF token when the caller
authenticates with a cookie, and artifact paths cannot leave the run's folder."""

from __future__ import annotations

import json
import re

import pytest
from tornado.httpclient import HTTPClientError

from labtrack.sidebar.routes import ROUTES

METHODS = ("get", "post", "put", "patch", "delete")


def _sample_urls():
    """Each route with sample path arguments, and the methods its handler implements."""
    for pattern, handler in ROUTES:
        path = re.sub(r"\(\[\^/\]\+\)", "x", pattern)
        methods = [
            m.upper()
            for m in METHODS
            if m in vars(handler)
            or any(
                m in vars(base)
                for base in handler.__mro__[1:-1]
                if base.__module__.startswith("labtrack")
            )
        ]
        yield path, methods


def _routes_and_methods():
    return [(path, method) for path, methods in _sample_urls() for method in methods]


def test_every_route_has_at_least_one_method():
    assert all(methods for _, methods in _sample_urls())
    assert len(_routes_and_methods()) >= len(ROUTES)


@pytest.mark.parametrize("path, method", _routes_and_methods())
async def test_requests_without_a_token_are_refused(store, jp_fetch, path, method):
    body = "{}" if method in ("POST", "PUT", "PATCH") else None
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch(
            "labtrack",
            "api",
            *path.split("/"),
            method=method,
            body=body,
            headers={"Authorization": ""},
        )
    assert error.value.code in (401, 403), (path, method)


async def test_a_cookie_authenticated_post_without_xsrf_is_refused(
    store, jp_fetch, http_server_client, jp_base_url, jp_serverapp
):
    # Log in as a browser does (the token once, in the URL), keep the cookies it sets...
    token = jp_serverapp.identity_provider.token
    login = await http_server_client.fetch(
        f"{jp_base_url}api/status?token={token}", follow_redirects=False
    )
    cookies = "; ".join(c.split(";", 1)[0] for c in login.headers.get_list("Set-Cookie"))
    assert "username" in cookies
    browser = {"Cookie": cookies, "Authorization": ""}
    # ...then reads work with the cookie alone,
    response = await jp_fetch("labtrack", "api", "models", headers=browser)
    assert json.loads(response.body)["models"]
    # but a change without the XSRF header is refused and changes nothing.
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch(
            "labtrack",
            "api",
            "models",
            "iris-svm",
            "versions",
            "1",
            "stage",
            method="POST",
            body=json.dumps({"stage": "Production"}),
            headers=browser,
        )
    assert error.value.code == 403
    assert store["client"].get_model_version("iris-svm", 1).current_stage == "None"
    # With the header matching the _xsrf cookie (what ServerConnection.makeRequest sends from
    # the page's cookie) it goes through.
    xsrf = "0123456789abcdef0123456789abcdef"
    await jp_fetch(
        "labtrack",
        "api",
        "models",
        "iris-svm",
        "versions",
        "1",
        "stage",
        method="POST",
        body=json.dumps({"stage": "Production"}),
        headers={**browser, "Cookie": f"{cookies}; _xsrf={xsrf}", "X-XSRFToken": xsrf},
    )
    assert store["client"].get_model_version("iris-svm", 1).current_stage == "Production"


@pytest.mark.parametrize(
    "path", ["..", "../..", "notes/../../x", "/etc", "/", "C:/Windows", "..\\secrets"]
)
async def test_artifact_paths_cannot_leave_the_run_folder(store, jp_fetch, path):
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch(
            "labtrack", "api", "runs", store["run_ids"][0], "artifacts", params={"path": path}
        )
    assert error.value.code == 400, path
