"""The Starlette app of ``labtrack server``: MLflow's REST API under ``/api/2.0/mlflow/`` (and
``/ajax-api/2.0/mlflow/``, as ``mlflow server`` has it), the artifact proxy under
``/api/2.0/mlflow-artifacts/artifacts``, and ``GET /health``.

Every request passes through the app's middleware stack (``build_app(middleware=...)``), the
one place an authentication layer goes; endpoints read the user it sets on
``request.state.user``. Every error is MLflow's JSON body ``{"error_code", "message"}`` with
the HTTP status MLflow gives that code; bad input is never a 500, and a 500 carries the
exception's message only, never a stack trace.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from labtrack import env
from labtrack.errors import InvalidParameter, LabtrackError
from labtrack.tracking_server import handlers, protocol
from labtrack.tracking_server.artifacts import Destination, relative_path

logger = logging.getLogger("labtrack.tracking_server")

PREFIXES = ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/")
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
CHUNK_SIZE = 1 << 20
# The largest request body outside the artifact proxy (whose uploads stream to storage): the
# API's messages are small (a full log-batch is well under 1 MB), and every body is read
# whole (by the auth middleware, then the route) before it is parsed.
MAX_BODY_BYTES = 16 << 20

# MLflow's HTTP status for each error code (mlflow.protos.databricks_pb2 / rest_utils); a 5xx
# makes MLflow's client retry, so conflicts are 400 as in MLflow, never 500.
_STATUS = {
    "INVALID_PARAMETER_VALUE": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_STATE": 400,
    "BAD_REQUEST": 400,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
}
# Codes for the statuses Starlette raises itself (unknown path, wrong method).
_HTTP_CODES = {404: "ENDPOINT_NOT_FOUND", 405: "ENDPOINT_NOT_FOUND"}


def error_response(code: str, message: str, status: int | None = None) -> JSONResponse:
    """MLflow's error body with the status MLflow uses for ``code``."""
    return JSONResponse(
        {"error_code": code, "message": message}, status_code=status or _STATUS.get(code, 500)
    )


async def _labtrack_error(request: Request, error: LabtrackError) -> JSONResponse:
    return error_response(error.error_code, str(error), _STATUS.get(error.error_code))


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(error.status_code, "BAD_REQUEST")
    message = error.detail if error.status_code != 404 else f"No endpoint {request.url.path}"
    return error_response(code, str(message), error.status_code)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return error_response("INTERNAL_ERROR", f"{type(error).__name__}: {error}", 500)


async def _message(request: Request) -> dict:
    """The request message: the query string for GET and HEAD (a repeated key is a list),
    else the JSON body; path parameters are merged in."""
    if request.method in protocol.QUERY_METHODS:
        message: dict = {}
        for key, value in request.query_params.multi_items():
            message.setdefault(key, []).append(value)
    else:
        body = await request.body()
        try:
            message = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidParameter(f"the request body is not valid JSON: {error}") from None
        if not isinstance(message, dict):
            raise InvalidParameter("the request body must be a JSON object")
    message.update(request.path_params)
    return message


def _route(service: handlers.Service, function: handlers.Handler):
    async def call(request: Request) -> Response:
        message = await _message(request)
        user = getattr(request.state, "user", None)
        # The client and the store are blocking: off the event loop.
        result = await run_in_threadpool(function, service, message, user)
        return Response(handlers.dumps(result), media_type="application/json")

    return call


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with a 413, outside every other layer and
    before anything buffers it: at once when its Content-Length says so, else as soon as the
    bytes received pass the limit (a chunked body). Artifact uploads (``PROXY``) stream, and
    are not limited."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PROXY):
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", ())).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited():
            nonlocal received
            event = await receive()
            received += len(event.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return event

        async def tracked(event) -> None:
            nonlocal started
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self.app(scope, limited, tracked)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send) -> None:
        response = error_response(
            "INVALID_PARAMETER_VALUE",
            f"The request body is larger than {self.limit} bytes, the most this server takes "
            "(artifacts go through /api/2.0/mlflow-artifacts/artifacts, which has no limit).",
            413,
        )
        await response(scope, receive, send)


# -- the artifact proxy ---------------------------------------------------------------------


def _proxy_routes(service: handlers.Service) -> list[Route]:
    destination = service.destination

    async def list_files(request: Request) -> Response:
        path = relative_path(request.query_params.get("path"))
        files = await run_in_threadpool(destination.repository().list_artifacts, path or None)
        prefix = f"{path}/" if path else ""
        # MLflow's proxy lists paths relative to the folder listed.
        entries = [handlers.file_info(f) | {"path": f.path.removeprefix(prefix)} for f in files]
        return JSONResponse({"files": entries} if entries else {})

    async def download(request: Request) -> Response:
        path = relative_path(request.path_params["artifact_path"])
        stream = await run_in_threadpool(destination.repository().open_read, path)
        return StreamingResponse(
            iterate_in_threadpool(iter(lambda: stream.read(CHUNK_SIZE), b"")),
            media_type="application/octet-stream",
            background=_close(stream),
        )

    async def upload(request: Request) -> Response:
        path = relative_path(request.path_params["artifact_path"])
        if not path:
            raise InvalidParameter("give the artifact's path after /artifacts/")
        reader = _RequestReader(request)
        await run_in_threadpool(destination.repository().upload_stream, path, reader)
        return JSONResponse({})

    async def delete(request: Request) -> Response:
        path = relative_path(request.path_params["artifact_path"])
        await run_in_threadpool(destination.repository().delete_artifacts, path)
        return JSONResponse({})

    return [
        Route(PROXY, list_files, methods=["GET"]),
        Route(PROXY + "/{artifact_path:path}", download, methods=["GET"]),
        Route(PROXY + "/{artifact_path:path}", upload, methods=["PUT"]),
        Route(PROXY + "/{artifact_path:path}", delete, methods=["DELETE"]),
    ]


def _close(stream):
    from starlette.background import BackgroundTask

    return BackgroundTask(stream.close)


class _RequestReader:
    """A request body as a blocking file object, read chunk by chunk from the event loop: an
    upload streams into storage without being held whole in memory."""

    def __init__(self, request: Request):
        import anyio.from_thread

        self._chunks = request.stream()
        self._portal = anyio.from_thread
        self._buffer = b""
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            try:
                self._buffer += self._portal.run(self._chunks.__anext__)
            except StopAsyncIteration:
                self._done = True
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def readable(self) -> bool:
        return True


# -- the app --------------------------------------------------------------------------------


def build_app(
    tracking_uri: str | None = None,
    artifacts_destination: str | None = None,
    middleware: Sequence[Middleware] = (),
    auth: bool | None = None,
    default_permission: str | None = None,
) -> Starlette:
    """The server's app over the store at ``tracking_uri`` (the current tracking URI by
    default), proxying artifacts under ``artifacts_destination`` (by default the store's own
    artifact root: ``LABTRACK_ARTIFACTS_URI``, else the folder beside the store).
    ``middleware`` runs on every request, before any endpoint. ``auth`` (default:
    ``LABTRACK_SERVER_AUTH``) makes every request need credentials and the permission its
    route needs (``labtrack.tracking_server.auth``); ``default_permission`` is what a user may
    do where they have no grant (default: ``LABTRACK_SERVER_DEFAULT_PERMISSION``, READ)."""
    from labtrack.client import Client
    from labtrack.tracking_server import auth as server_auth

    # Read by the store when it opens (new experiments keep their artifacts there), and only
    # then: an app built in a kernel leaves the stores opened after it alone.
    with env.ARTIFACTS_URI.set_within(artifacts_destination or None):
        client = Client(tracking_uri)
        artifact_root = client.store.artifact_root
    destination = Destination(artifacts_destination or artifact_root)
    service = handlers.Service(client, destination)

    async def health(request: Request) -> Response:
        return PlainTextResponse("OK")

    routes = [Route("/health", health, methods=["GET"])]
    for method, path, function in handlers.ENDPOINTS:
        for prefix in PREFIXES:
            routes.append(Route(prefix + path, _route(service, function), methods=[method]))
    routes += _proxy_routes(service)
    app = Starlette(
        routes=routes,
        middleware=list(middleware),
        exception_handlers={
            LabtrackError: _labtrack_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.service = service
    if server_auth.enabled(auth):
        server_auth.protect(app, default_permission)
    app.add_middleware(BodyLimit)  # added last: the outermost layer, before auth reads bodies
    return app


def create_app() -> Starlette:
    """The app for uvicorn's ``--workers`` (an import string, ``factory=True``): the store and
    the destination from ``LABTRACK_TRACKING_URI`` and ``LABTRACK_ARTIFACTS_URI``, which
    ``labtrack server`` sets before the workers start."""
    return build_app(env.TRACKING_URI.get(), env.ARTIFACTS_URI.get())
