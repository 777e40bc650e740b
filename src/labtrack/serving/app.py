"""The scoring server's HTTP routes (Starlette): they only translate HTTP to a model's
``predict`` and back; the protocol lives in ``payload``, the checks in the signature.

* ``POST /invocations``: predictions (see ``payload`` for the accepted shapes);
* ``GET /health``, ``GET /ping``: 200 once the model is loaded (it is, before the server starts);
* ``GET /version``: labtrack's version and the model served.

Every error is JSON, ``{"error_code": ..., "message": ...}``: 400 for input the signature
rejects or a body that cannot be read, 415 for another content type, 500 when the model
itself raises. The server keeps serving after any of them.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from labtrack.errors import LabtrackError
from labtrack.models.enforcement import conform
from labtrack.models.pyfunc_model import PyFuncModel
from labtrack.serving.payload import RequestError, parse_request, predictions_json

logger = logging.getLogger("labtrack.serving")


def build_app(model: PyFuncModel, model_uri: str, model_version: str | None = None) -> Starlette:
    """A Starlette app that serves ``model``."""
    # Frameworks differ in what they allow from several threads at once; one predict at a
    # time is always safe, and the event loop stays free for /health meanwhile.
    predict_lock = threading.Lock()
    schema = model.metadata.get_input_schema()

    def predict(data: Any, params: dict | None) -> Any:
        # lenient: JSON numbers carry no width (3.0 may be meant as a float32, 3 as an int32).
        conformed = conform(data, schema, lenient=True)
        with predict_lock:
            return model.predict(conformed, params)

    async def invocations(request: Request) -> JSONResponse:
        try:
            data, params = parse_request(request.headers.get("content-type"), await request.body())
            predictions = await run_in_threadpool(predict, data, params)
            return JSONResponse({"predictions": predictions_json(predictions)})
        except RequestError as error:
            return _error(error.status, error.error_code, str(error))
        except LabtrackError as error:  # the signature rejected the input
            return _error(error.http_status, error.error_code, str(error))
        except Exception as error:  # the model's own failure: report it, keep serving
            logger.exception("the model raised while predicting")
            return _error(500, "INTERNAL_ERROR", f"the model raised {type(error).__name__}: {error}")

    async def health(request: Request) -> PlainTextResponse:
        return PlainTextResponse("\n")

    async def version(request: Request) -> JSONResponse:
        import labtrack

        return JSONResponse({"labtrack_version": labtrack.__version__, "model_uri": model_uri,
                             "model_version": model_version, "flavor": model.flavor})

    return Starlette(routes=[
        Route("/invocations", invocations, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/ping", health, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
    ])


def _error(status: int, error_code: str, message: str) -> JSONResponse:
    return JSONResponse({"error_code": error_code, "message": message}, status_code=status)
