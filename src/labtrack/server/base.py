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


class StoreHandler(APIHandler):
    """Base of every labtrack route. Subclasses decorate each method with
    ``@web.authenticated`` then ``@authorized`` (tests/server/test_security.py checks every
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
            raise web.HTTPError(error.http_status, "%s", str(error),
                                reason=error.error_code) from error

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

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """``{"message", "error_code"}``: the message formatted (APIHandler's own reply shows
        the raw format string), the code MLflow's REST API would give."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        message, code = self._reason, None
        if isinstance(error, web.HTTPError) and error.log_message:
            message = error.log_message % error.args if error.args else error.log_message
            code = error.reason
        elif error is not None:
            message = "internal error (see the server log)"
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message, "error_code": code}))

    def reply(self, payload: Any) -> None:
        self.finish(json.dumps(payload, allow_nan=False))

    def json_body(self) -> dict:
        """The request's JSON object (400 if it is anything else)."""
        try:
            body = json.loads(self.request.body or b"{}")
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
            raise web.HTTPError(400, "%s must be an integer, got %r", name, raw) from None
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
