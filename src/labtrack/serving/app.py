"""The scoring server's HTTP routes (Starlette): they only translate HTTP to a model's
``predict`` and back; the protocol lives in ``payload``, the checks in the signature.

* ``POST /invocations``: predictions (see ``payload`` for the accepted shapes);
* ``GET /health``, ``GET /ping``: 200 once the model is loaded (it is, before the server starts);
* ``GET /version``: labtrack's version and the model served;
* ``POST /feedback`` (a deployment's server only): true labels of earlier requests,
  ``{"request_id": ..., "label": ...}`` or a list of them (``labtrack.production.predictions``).

Every answer of ``POST /invocations`` carries an ``X-Request-Id`` header: the client's own,
if it sent a short token (letters, digits, ``.``, ``_``, ``:``, ``-``; at most 64), else a new
random one. A deployment's server counts the answers and their latency, and logs sampled
requests after the answer has gone (``--log-predictions``).

The model can be swapped while the server runs (``ServedModel.swap``: a deployment that
follows an alias); a request uses the model that was current when it arrived.

Every error is JSON, ``{"error_code": ..., "message": ...}``: 400 for input that never
reached the model (a body that cannot be read, input the signature rejects), 413 for a body
above the limit, 415 for another content type, 500 when the model itself raises or returns
what JSON cannot carry. A 500 names the exception's type and message only, with any memory
address taken out. The server keeps serving after any of them.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from labtrack import env
from labtrack.errors import InvalidParameter, LabtrackError
from labtrack.models.enforcement import conform
from labtrack.models.pyfunc_model import PyFuncModel
from labtrack.serving import DEFAULT_MAX_BODY_MB
from labtrack.serving.payload import (
    RequestError,
    UnwritablePredictions,
    parse_request,
    predictions_json,
    without_addresses,
)

if TYPE_CHECKING:
    from labtrack.production.record import DeploymentRun

logger = logging.getLogger("labtrack.serving")

_BYTES_PER_MB = 1_000_000
# Codes of MLflow's REST API for the statuses Starlette raises itself (unknown path, method).
_ERROR_CODES = {404: "ENDPOINT_NOT_FOUND", 405: "BAD_REQUEST"}
REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id(header: str | None) -> str:
    """The id of a request: its own ``X-Request-Id`` if that is a short token, else a new one
    (a uuid4's hex): ids end up in logs and Parquet files, so nothing else is taken as is."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ServedModel:
    """The model a server answers with, and its version: swapped whole (one assignment), so
    a request reads a consistent pair, and one in flight finishes on the model it started on."""

    def __init__(self, model: PyFuncModel, version: str | None):
        self.current = (model, version, model.metadata.get_input_schema())

    @property
    def model(self) -> PyFuncModel:
        """The model served now."""
        return self.current[0]

    @property
    def version(self) -> str | None:
        """The registry version served now (None for a model not served from the registry)."""
        return self.current[1]

    def swap(self, model: PyFuncModel, version: str | None) -> None:
        """Serve ``model`` (``version``) from the next request on."""
        self.current = (model, version, model.metadata.get_input_schema())


def max_body_mb(explicit: float | None = None) -> float:
    """The body limit in megabytes: ``explicit`` > ``LABTRACK_SERVE_MAX_BODY_MB`` > its default."""
    if explicit is not None:
        return _positive_megabytes(explicit, "max_body_mb")
    raw = env.SERVE_MAX_BODY_MB.get()
    try:
        value = float(raw)  # type: ignore[arg-type]
    except ValueError:
        value = math.nan
    return _positive_megabytes(value, env.SERVE_MAX_BODY_MB.name, shown=raw)


def _positive_megabytes(value: Any, name: str, shown: Any = None) -> float:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value <= 0:
        raise InvalidParameter(
            f"{name} must be a positive number of megabytes, "
            f"got {value if shown is None else shown!r}"
        )
    return float(value)


def build_app(
    model: PyFuncModel,
    model_uri: str,
    model_version: str | None = None,
    max_body_mb: float = DEFAULT_MAX_BODY_MB,
    deployment: DeploymentRun | None = None,
) -> Starlette:
    """A Starlette app that serves ``model``, reading request bodies of at most
    ``max_body_mb`` megabytes; ``app.state.served`` (a ``ServedModel``) swaps the model.
    With ``deployment``, the answers are counted in its traffic, sampled requests go to its
    prediction log (if it has one), and ``POST /feedback`` stores labels with its run."""
    # Frameworks differ in what they allow from several threads at once; one predict at a
    # time is always safe, and the event loop stays free for /health meanwhile.
    predict_lock = threading.Lock()
    served = ServedModel(model, model_version)
    limit = max(1, round(max_body_mb * _BYTES_PER_MB))
    too_large = (
        f"the request body is larger than the limit of {max_body_mb:g} MB ({limit:,} bytes): "
        "send fewer rows per request, or raise the limit (labtrack serve --max-body-mb, "
        f"or {env.SERVE_MAX_BODY_MB.name})"
    )

    async def read_body(request: Request) -> bytes:
        """The body, refused once it passes the limit: a declared length is checked before
        any byte is read, a chunked body as its bytes arrive."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise RequestError(too_large, status=413, error_code="REQUEST_LIMIT_EXCEEDED")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestError(too_large, status=413, error_code="REQUEST_LIMIT_EXCEEDED")
            chunks.append(chunk)
        return b"".join(chunks)

    def conformed(data: Any, schema: Any) -> Any:
        # lenient: JSON numbers carry no width (3.0 may be meant as a float32, 3 as an int32).
        try:
            return conform(data, schema, lenient=True)
        except LabtrackError:  # the signature rejected the input, and says why
            raise
        except Exception as error:  # the check itself broke: blame neither client nor model
            logger.exception("checking the input against the model's signature failed")
            raise _CheckFailed(
                f"checking the input against the model's signature raised {_described(error)}"
            ) from error

    def predict(model: PyFuncModel, data: Any, params: dict | None) -> Any:
        with predict_lock:
            return model.predict(data, params)

    async def invocations(request: Request) -> JSONResponse:
        started = time.perf_counter()
        rid = request_id(request.headers.get(REQUEST_ID_HEADER))
        logged: list[Any] = []  # the input and predictions, once there are both
        response = await answer(request, logged)
        response.headers[REQUEST_ID_HEADER] = rid
        if deployment is not None:
            latency_ms = (time.perf_counter() - started) * 1000
            deployment.traffic.add(latency_ms, error=response.status_code >= 400)
            if logged and deployment.prediction_log is not None:
                # A locked append that never blocks or raises: cheaper here than handing
                # it to the thread pool after the answer (bench/serving_latency.py).
                deployment.prediction_log.record(rid, *logged, latency_ms)
        return response

    async def answer(request: Request, logged: list[Any]) -> JSONResponse:
        model, _, schema = served.current
        try:
            body = await read_body(request)
            data, params = parse_request(request.headers.get("content-type"), body)
            data = await run_in_threadpool(conformed, data, schema)
        except RequestError as error:
            return _error(
                error.status,
                error.error_code,
                str(error),
                {"Connection": "close"} if error.status == 413 else None,
            )
        except LabtrackError as error:
            return _error(error.http_status, error.error_code, str(error))
        except _CheckFailed as error:
            return _error(500, "INTERNAL_ERROR", str(error))
        try:
            predictions = await run_in_threadpool(predict, model, data, params)
        except LabtrackError as error:  # predict checks the input against the signature again
            return _error(error.http_status, error.error_code, str(error))
        except Exception as error:  # the model's own failure: report it, keep serving
            logger.exception("the model raised while predicting")
            return _error(500, "INTERNAL_ERROR", f"the model raised {_described(error)}")
        try:
            response = JSONResponse({"predictions": predictions_json(predictions)})
        except UnwritablePredictions as error:
            return _error(
                500, "INTERNAL_ERROR", f"the model's predictions cannot be written as JSON: {error}"
            )
        logged.extend((data, predictions))
        return response

    async def feedback(request: Request) -> JSONResponse:
        from labtrack.production.predictions import log_feedback, parse_feedback

        try:
            body = await read_body(request)
            try:
                parsed = json.loads(body or b"null")
            except (ValueError, RecursionError) as error:  # RecursionError: nested too deeply
                raise RequestError(
                    f"the body is not valid JSON: {error}", error_code="MALFORMED_REQUEST"
                ) from None
            pairs = parse_feedback(parsed)
            stored = await run_in_threadpool(
                log_feedback, deployment.client, deployment.run_id, pairs
            )
        except RequestError as error:
            return _error(error.status, error.error_code, str(error))
        except LabtrackError as error:
            return _error(error.http_status, error.error_code, str(error))
        except Exception as error:  # the store failed: a JSON answer, the details in the log
            logger.warning("feedback not stored: %s", _described(error))
            return _error(
                500, "INTERNAL_ERROR", f"the feedback was not stored: {_described(error)}"
            )
        return JSONResponse({"stored": stored})

    async def health(request: Request) -> PlainTextResponse:
        return PlainTextResponse("\n")

    async def version(request: Request) -> JSONResponse:
        from labtrack._version import __version__

        return JSONResponse(
            {
                "labtrack_version": __version__,
                "model_uri": model_uri,
                "model_version": served.version,
                "flavor": served.model.flavor,
            }
        )

    routes = [
        Route("/invocations", invocations, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/ping", health, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
    ]
    if deployment is not None:
        routes.append(Route("/feedback", feedback, methods=["POST"]))

    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        """Starlette's own errors (an unknown path or method), as JSON that says what exists."""
        message = error.detail
        if error.status_code == 404:
            listed = ", ".join(f"{min(route.methods - {'HEAD'})} {route.path}" for route in routes)
            message = f"{error.detail}: no route {request.url.path}; the routes are {listed}"
        elif error.status_code == 405 and error.headers:
            message = (
                f"{error.detail}: {request.method} is not a method of {request.url.path} "
                f"(it has {error.headers.get('Allow')})"
            )
        code = _ERROR_CODES.get(error.status_code, "BAD_REQUEST")
        return _error(error.status_code, code, message, error.headers)

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.served = served
    return app


class _CheckFailed(Exception):
    """The signature check raised something other than its own clear refusal."""


def _described(error: BaseException) -> str:
    """An exception as its type and message: never its repr, and no memory address."""
    try:
        message = str(error)
    except Exception:  # a broken __str__ must not turn one error into another
        message = ""
    name = type(error).__name__
    return f"{name}: {without_addresses(message)}" if message else name


def _error(status: int, error_code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(
        {"error_code": error_code, "message": without_addresses(message)},
        status_code=status,
        headers=headers,
    )
