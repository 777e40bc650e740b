"""The ASGI middleware that makes ``labtrack server --auth`` require credentials and
enforce permissions on every route.

A request carries HTTP basic credentials (what MLflow's client sends for
``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD``) or ``Authorization: Bearer <token>``
(``MLFLOW_TRACKING_TOKEN``, ``LABTRACK_TRACKING_TOKEN``). Missing or wrong credentials are a
401 with ``WWW-Authenticate``; a known user without the permission a route needs is a 403;
both are MLflow's JSON error bodies. The route's rule (``rules.py``) says what it needs; a
route without a rule is for admins only. The signed-in user's name is left for the handlers
in ``request.state.user``, so that runs and registry changes record who made them.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labtrack.errors import LabtrackError
from labtrack.tracking_server.auth import rules
from labtrack.tracking_server.auth.throttle import SignInThrottle
from labtrack.tracking_server.auth.users import Identity, Users
from labtrack.tracking_server.protocol import QUERY_METHODS

logger = logging.getLogger(__name__)

CHALLENGE = 'Basic realm="labtrack", Bearer realm="labtrack"'


def _error(status: int, error_code: str, message: str, challenge: bool = False) -> JSONResponse:
    headers = {"WWW-Authenticate": CHALLENGE} if challenge else None
    return JSONResponse({"error_code": error_code, "message": message}, status, headers=headers)


class AuthMiddleware:
    """Checks every HTTP request to the server's Starlette app (``auth.protect(app)`` puts it
    there); lifespan events pass through. ``logged_model_experiment(model_id)`` names a
    logged model's experiment (None: no such model)."""

    def __init__(
        self,
        app: ASGIApp,
        users: Users,
        logged_model_experiment: Callable[[str], str | None] | None = None,
        throttle: SignInThrottle | None = None,
    ):
        self.app = app
        self.users = users
        self.throttle = throttle or SignInThrottle()
        self.lookup = rules.Lookup(users.store, logged_model_experiment)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(event: Message) -> None:
            nonlocal started
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self._handle(scope, receive, tracked)
        except (rules.Refused, LabtrackError) as error:
            if started:  # the route already answered: nothing more can be said
                raise
            if isinstance(error, rules.Refused):
                response = _error(error.status, error.error_code, error.message, error.challenge)
            else:  # the store failed while checking (the route's own errors never get here)
                logger.error("checking a request failed: %s", error)
                response = _error(error.http_status, error.error_code, str(error))
            await response(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route_path, params = _matched_route(scope)
        rule = rules.rule_for(route_path, scope["method"]) if route_path else None
        if rule is not None and rule.needs == rules.PUBLIC:
            await self.app(scope, receive, send)
            return
        who = await self._authenticate(scope)
        if who is None:
            raise _unauthenticated()
        scope.setdefault("state", {})["user"] = who.username  # request.state.user
        if route_path is None:  # no such route: the router answers 404 or 405
            await self.app(scope, receive, send)
            return
        if rule is None:
            if not who.is_admin:
                raise rules.Refused(
                    403,
                    "PERMISSION_DENIED",
                    f"{scope['method']} {scope['path']} has no permission rule: only admins may use it.",
                )
            await self.app(scope, receive, send)
            return
        if rule.needs == rules.ADMIN and not who.is_admin:
            raise rules.Refused(403, "PERMISSION_DENIED", f"Only admins may {scope['path']}.")
        message: dict = {}
        if rule.locate is not None or rule.after is not None:
            message, receive = await _request_fields(scope, receive, rule, params)
        if rule.locate is not None:
            await run_in_threadpool(self._authorize, who, rule, message, params)
        if rule.after is None:
            await self.app(scope, receive, send)
        else:
            await self._then(rule, who, message, scope, receive, send)

    async def _authenticate(self, scope: Scope) -> Identity | None:
        header = _header(scope, b"authorization")
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer" and credentials:
            return await run_in_threadpool(self.users.authenticate_token, credentials)
        if scheme.lower() == "basic" and credentials:
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
            username, separator, password = decoded.partition(":")
            if not separator:
                return None
            return await self._sign_in(scope, username, password)
        return None

    async def _sign_in(self, scope: Scope, username: str, password: str) -> Identity | None:
        """Check a password, unless this name failed too often from this client lately."""
        client = (scope.get("client") or ("",))[0] or ""
        wait = self.throttle.blocked_for(username, client)
        if wait:
            raise rules.Refused(
                429,
                "REQUEST_LIMIT_EXCEEDED",
                f"Too many failed sign-ins as {username!r}: try again in {math.ceil(wait)} s.",
            )

        def verify() -> Identity | None:
            with self.throttle.checks:  # Argon2 is ~0.2 s of CPU: a few at once
                return self.users.authenticate_password(username, password)

        who = await run_in_threadpool(verify)
        if who is None:
            self.throttle.failed(username, client)
        else:
            self.throttle.succeeded(username, client)
        return who

    def _authorize(self, who: Identity, rule: rules.Rule, message, params) -> None:
        if who.is_admin:
            return
        for found in rule.locate(message, params, self.lookup):
            kind, key, needs, shown = rules.Found(*found)
            needs = needs or rule.needs
            if kind == rules.USER:
                if key != who.username:
                    raise rules.Refused(
                        403,
                        "PERMISSION_DENIED",
                        f"User {who.username!r} may only {needs} their own account.",
                    )
                continue
            permission = (
                self.users.on_experiment(who, key)
                if kind == rules.EXPERIMENT
                else self.users.on_model(who, key)
            )
            if not permission.allows(needs):
                if shown is not None:  # named as the request names it, nothing more
                    text = f"User {who.username!r} may not {needs} {shown}."
                else:
                    what = "experiment" if kind == rules.EXPERIMENT else "registered model"
                    text = (
                        f"User {who.username!r} may not {needs} {what} {key!r} "
                        f"(permission: {permission.name})."
                    )
                raise rules.Refused(403, "PERMISSION_DENIED", text)

    async def _then(self, rule, who, message, scope, receive, send) -> None:
        """Run the route holding its answer back, apply the rule's effect, then send it."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(event: Message) -> None:
            nonlocal start
            if event["type"] == "http.response.start":
                start = event
            elif event["type"] == "http.response.body":
                chunks.append(event.get("body", b""))
            else:
                await send(event)

        await self.app(scope, receive, hold)
        assert start is not None, "the route sent no response"
        body = b"".join(chunks)
        if start["status"] == 200:
            try:
                answer = json.loads(body)
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                changed = await run_in_threadpool(rule.after, self.users, who, message, answer)
                if changed is not None:
                    body = json.dumps(changed).encode()
                    headers = [
                        (k, v) for k, v in start["headers"] if k.lower() != b"content-length"
                    ]
                    start = {
                        **start,
                        "headers": [*headers, (b"content-length", str(len(body)).encode())],
                    }
        await send(start)
        await send({"type": "http.response.body", "body": body})


def _unauthenticated() -> rules.Refused:
    return rules.Refused(
        401,
        "UNAUTHENTICATED",
        "You are not authenticated: pass a user name and password (HTTP basic; "
        "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD) or a token "
        "(Authorization: Bearer; LABTRACK_TRACKING_TOKEN or MLFLOW_TRACKING_TOKEN).",
        challenge=True,
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _matched_route(scope: Scope) -> tuple[str | None, dict]:
    """The declared path of the app route the request is for, and its path parameters."""
    app = scope.get("app")
    for route in getattr(app, "routes", ()):
        match, child = route.matches(scope)
        if match == Match.FULL:
            return route.path, child.get("path_params", {})
    return None, {}


async def _request_fields(scope: Scope, receive: Receive, rule: rules.Rule, params: dict):
    """The request's fields as the server's handlers read them (the query string for GET,
    else the JSON body; path parameters in ``params``), and a ``receive`` that hands the route
    the body again. Artifact routes find their experiment in the path or query alone: their
    bodies (large files) are never read here."""
    if scope["method"] in QUERY_METHODS or rule.locate is rules.artifact_path:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        return {
            key: values if len(values) > 1 else values[0] for key, values in query.items()
        }, receive
    chunks = []
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            raise rules.Refused(400, "INVALID_PARAMETER_VALUE", "The client went away.")
        chunks.append(event.get("body", b""))
        if not event.get("more_body"):
            break
    body = b"".join(chunks)
    fields: dict = {}
    if body.strip():
        try:
            fields = json.loads(body)
        except ValueError:
            raise rules.Refused(
                400, "INVALID_PARAMETER_VALUE", "The request body is not valid JSON."
            ) from None
        if not isinstance(fields, dict):
            raise rules.Refused(
                400, "INVALID_PARAMETER_VALUE", "The request body must be a JSON object."
            )
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return fields, replay
