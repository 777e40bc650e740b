"""What every route shares: JSON in and out, store calls off the event loop, errors mapped
to HTTP statuses in one place (``LabtrackError.http_status``), and who is asking.

Every handler method is ``@web.authenticated`` (who are you?) and ``@authorized`` (may you?):
jupyter_server's authorizer is asked for "read" (GET) or "write" (POST, PUT, PATCH, DELETE)
on the resource ``"labtrack"``, so a deployment can make the sidebar read-only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from labtrack.errors import LabtrackError

AUTH_RESOURCE = "labtrack"
# jupyter_server's generated identity for a shared token: a random id per browser session.
_ANONYMOUS_ID = re.compile(r"[0-9a-f]{32}")
ROUTE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Experiment ids and versions are BIGINT columns: a larger number fails in the database driver
# (SQLite's OverflowError, PostgreSQL's out-of-range error), which would be a 500.
INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"\s*[+-]?([0-9]+)\s*")
# The codes MLflow's REST API gives, for errors raised without one (tornado's own, and ours).
_ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    405: "BAD_REQUEST",
    413: "REQUEST_LIMIT_EXCEEDED",
}
# What a status means here, for errors raised without a message (tornado's own 403 and 405).
_EXPLANATIONS = {
    403: "sign in to this Jupyter server (its token or a login cookie), as a user allowed "
    "to do this",
}


class StoreHandler(APIHandler):
    """Base of every labtrack route. Subclasses decorate each method with
    ``@web.authenticated`` then ``@authorized`` (tests/sidebar/test_security.py checks every
    route)."""

    auth_resource = AUTH_RESOURCE

    @property
    def backend(self):
        return self.settings["labtrack"]

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(client, *args, **kwargs)`` in the backend's threads (store calls block;
        even getting the client may open and migrate the store); labtrack's errors become
        HTTP errors."""

        def run():
            return function(self.backend.client, *args, **kwargs)

        try:
            return await IOLoop.current().run_in_executor(self.backend.executor, run)
        except LabtrackError as error:
            raise web.HTTPError(
                error.http_status, "%s", str(error), reason=error.error_code
            ) from error

    @property
    def user_name(self) -> str | None:
        """Who the registry records a change as: the signed-in Jupyter user; None (the
        server's own login) when the server only knows an anonymous token holder. Read it
        in the handler, before handing work to the store's threads."""
        user = self.current_user
        username = getattr(user, "username", None) or None
        if username is None:
            return None
        anonymous = str(getattr(user, "name", "")).startswith("Anonymous ")
        return None if anonymous and _ANONYMOUS_ID.fullmatch(username) else username

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The HTTP methods this route implements (the others are a 405)."""
        return [
            method
            for method in ROUTE_METHODS
            if getattr(cls, method.lower()) is not getattr(web.RequestHandler, method.lower())
        ]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """``{"message", "error_code"}``: the message formatted (APIHandler's own reply shows
        the raw format string), the code MLflow's REST API would give. An error raised
        without a message (tornado's 403 and 405) still says what happened; anything else
        unexpected is an "internal error" whose details stay in the server's log."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        code = _ERROR_CODES.get(status_code)
        if isinstance(error, web.HTTPError):
            if error.reason and re.fullmatch(r"[A-Z_]+", error.reason):  # a LabtrackError's code
                code = error.reason
            if error.log_message:
                message = error.log_message % error.args if error.args else error.log_message
            else:
                message = f"{self._reason}: {self._explanation(status_code)}"
        elif error is not None:
            message, code = "internal error (see the server log)", "INTERNAL_ERROR"
        else:
            message = self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message, "error_code": code}))

    def _explanation(self, status_code: int) -> str:
        if status_code == 405:
            allowed = ", ".join(self.allowed_methods())
            self.set_header("Allow", allowed)  # a 405 must name them (RFC 9110)
            return f"{self.request.method} is not a method of this route (it has {allowed})"
        return _EXPLANATIONS.get(status_code, "no details")

    def reply(self, payload: Any) -> None:
        self.finish(json.dumps(payload, allow_nan=False))

    def json_body(self) -> dict:
        """The request's JSON object (400 if it is anything else)."""
        try:
            body = json.loads(self.request.body or b"{}")
        except RecursionError:  # the parser recurses once per level of nesting
            raise web.HTTPError(400, "request body is not JSON: it is nested too deeply") from None
        except ValueError as error:
            raise web.HTTPError(400, "request body is not JSON: %s", error) from error
        if not isinstance(body, dict):
            raise web.HTTPError(400, "request body must be a JSON object")
        return body

    def int_argument(self, name: str, default: int, upper: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise web.HTTPError(
                400, "%s must be an integer, got %s", name, abbreviated(raw)
            ) from None
        if value < 1:
            raise web.HTTPError(400, "%s must be at least 1", name)
        return min(value, upper)


def required(body: dict, key: str, kind: type = str):
    """``body[key]``, which must be present and of ``kind`` (400 otherwise)."""
    value = body.get(key)
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise web.HTTPError(400, "%r is required (%s)", key, kind.__name__)
    return value


def optional(body: dict, key: str, kind: type, default=None):
    value = body.get(key, default)
    if value is not None and not isinstance(value, kind):
        raise web.HTTPError(400, "%r must be a %s", key, kind.__name__)
    return value


def within_int64(value: object, what: str) -> None:
    """400 when ``value``, a number or a numeric string (a path argument, a body field), is a
    whole number beyond the signed 64-bit range the store keeps ids and versions in. Anything
    else passes: the client judges it, with its own message."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        too_large = abs(value) > INT64_MAX
    elif isinstance(value, str) and (match := _INTEGER.fullmatch(value)):
        digits = match.group(1).lstrip("0")
        # Its length first: int() refuses strings of more than 4,300 digits.
        too_large = len(digits) > 19 or int(digits or 0) > INT64_MAX
    else:
        return
    if too_large:
        raise web.HTTPError(
            400,
            "%s %s is beyond the signed 64-bit range the store keeps (at most 2**63 - 1)",
            what,
            abbreviated(value),
        )


def abbreviated(value: object) -> str:
    """``repr(value)``, cut short in the middle if long (a message need not echo 5,000 digits)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text)} characters)"
