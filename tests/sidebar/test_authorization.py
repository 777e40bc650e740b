"""A deployment's jupyter_server Authorizer decides what the sidebar may do: every labtrack
route asks it ("read" for GET, "write" for changes, on the resource "labtrack"), and
changes are recorded in the registry history as the signed-in Jupyter user."""

from __future__ import annotations

import json
import re

import pytest
from jupyter_server.auth import Authorizer, IdentityProvider, User
from tornado.httpclient import HTTPClientError

from labtrack.sidebar.routes import ROUTES

ASKED: list[tuple[str, str, str]] = []  # (user, action, resource) of every check


class ReadOnly(Authorizer):
    """Lets everyone read labtrack, nobody change it."""

    def is_authorized(self, handler, user, action, resource):
        ASKED.append((user.username, action, resource))
        return not (resource == "labtrack" and action == "write")


class Grace(IdentityProvider):
    """The token's holder is Grace (a deployment's identity provider names its users)."""

    async def get_user_token(self, handler):
        user = await super().get_user_token(handler)
        return User(username="grace", name="Grace Hopper") if user is not None else None


def _routes_and_methods():
    """Each route, with "x" for its path arguments, and each method its handler defines."""
    return [
        (re.sub(r"\(\[\^/\]\+\)", "x", pattern), method.upper())
        for pattern, handler in ROUTES
        for method in ("get", "post", "put", "patch", "delete")
        if method in vars(handler)
    ]


@pytest.fixture
def jp_server_config(tracking_uri):
    return {
        "ServerApp": {
            "jpserver_extensions": {"labtrack.sidebar": True},
            "authorizer_class": ReadOnly,
            "identity_provider_class": Grace,
        },
        "LabtrackServer": {"tracking_uri": tracking_uri},
    }


@pytest.fixture(autouse=True)
def _forget_checks():
    ASKED.clear()


async def test_reads_are_allowed_and_writes_refused_403(store, api, jp_fetch):
    assert (await api("models", "iris-svm"))["versions"]
    assert ("grace", "read", "labtrack") in ASKED
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
        )
    assert error.value.code == 403
    assert json.loads(error.value.response.body) == {
        "message": "User is not authorized to write on resource: labtrack.",
        "error_code": "PERMISSION_DENIED",
    }
    assert ("grace", "write", "labtrack") in ASKED
    assert store["client"].get_model_version("iris-svm", 1).current_stage == "None"  # unchanged


@pytest.mark.parametrize("path, method", _routes_and_methods())
async def test_every_route_asks_the_authorizer(store, jp_fetch, path, method):
    body = "{}" if method in ("POST", "PUT", "PATCH") else None
    try:
        await jp_fetch("labtrack", "api", *path.split("/"), method=method, body=body)
    except HTTPClientError as error:
        assert method != "GET" or error.code in (400, 404), (path, method, error.code)  # "x"
        assert method == "GET" or error.code == 403, (path, method, error.code)
    else:
        assert method == "GET", (path, method)
    expected = "read" if method == "GET" else "write"
    assert ("grace", expected, "labtrack") in ASKED, (path, method)
