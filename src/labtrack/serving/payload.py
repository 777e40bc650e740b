"""The REST scoring protocol: request bodies -> model input, predictions -> JSON.

The JSON shapes are MLflow's (``mlflow models serve``), each an object with one of:

* ``dataframe_split``: ``{"columns": [...], "data": [[...], ...]}`` (pandas' split orient);
* ``dataframe_records``: ``[{"column": value, ...}, ...]``;
* ``instances``: a list of rows (TF Serving's row format);
* ``inputs``: a list of rows, or a dict of columns (TF Serving's columnar format);

plus, optionally, ``params``. ``text/csv`` bodies are read as a table with a header row.
Answers are ``{"predictions": [...]}``.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

SHAPES = ("dataframe_split", "dataframe_records", "instances", "inputs")


class RequestError(Exception):
    """A request the server cannot read; answered with ``status`` and a JSON message."""

    def __init__(self, message: str, status: int = 400, error_code: str = "BAD_REQUEST"):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


def parse_request(content_type: str | None, body: bytes) -> tuple[Any, dict | None]:
    """(model input, params) from a request's content type and body."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "application/json":
        return _parse_json(body)
    if media_type == "text/csv":
        return _parse_csv(body), None
    raise RequestError(
        f"unsupported content type {content_type or '(none)'!r}: send application/json or text/csv",
        status=415,
    )


def _parse_json(body: bytes) -> tuple[Any, dict | None]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestError(f"the body is not valid JSON: {error}", error_code="MALFORMED_REQUEST") from None
    if not isinstance(payload, dict):
        raise RequestError(f"the JSON body must be an object with one of the keys {', '.join(SHAPES)}")
    shapes = [key for key in SHAPES if key in payload]
    unknown = set(payload) - {*SHAPES, "params"}
    if len(shapes) != 1 or unknown:
        found = ", ".join(sorted(payload)) or "no keys"
        raise RequestError(f"the JSON body must have exactly one of the keys {', '.join(SHAPES)} "
                           f"(and optionally params); found {found}")
    params = payload.get("params")
    if params is not None and not isinstance(params, dict):
        raise RequestError("params must be a JSON object")
    return _model_input(shapes[0], payload[shapes[0]]), params


def _model_input(shape: str, value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if shape == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise RequestError('dataframe_split must be {"columns": [...], "data": [[...], ...]}')
        try:
            return pd.DataFrame(value["data"], columns=value.get("columns"), index=value.get("index"))
        except (ValueError, TypeError) as error:
            raise RequestError(f"dataframe_split does not form a table: {error}") from None
    if shape == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise RequestError("dataframe_records must be a list of objects, one per row")
        return pd.DataFrame(value)
    if isinstance(value, dict):  # inputs in columnar form: {"column": [values, ...]}
        try:
            return pd.DataFrame(value)
        except ValueError as error:
            raise RequestError(f"{shape} as columns must map each name to a list of one length: {error}") from None
    if not isinstance(value, list):
        raise RequestError(f"{shape} must be a list of rows (or, for inputs, an object of columns)")
    if value and all(isinstance(row, dict) for row in value):
        return pd.DataFrame(value)
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged rows
        raise RequestError(f"{shape} rows must all have the same length: {error}") from None
    return array


def _parse_csv(body: bytes) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(io.BytesIO(body))
    except (ValueError, UnicodeDecodeError) as error:  # pandas' ParserError is a ValueError
        raise RequestError(f"the body is not a CSV table with a header row: {error}",
                           error_code="MALFORMED_REQUEST") from None


def predictions_json(predictions: Any) -> Any:
    """Predictions as JSON values: a DataFrame as records, arrays as (nested) lists,
    NaN and infinities as null (JSON has no NaN)."""
    if hasattr(predictions, "to_dict") and hasattr(predictions, "columns"):  # DataFrame
        return _jsonable(predictions.to_dict(orient="records"))
    if hasattr(predictions, "tolist"):  # numpy array or pandas Series
        return _jsonable(predictions.tolist())
    if hasattr(predictions, "detach"):  # a torch tensor
        return _jsonable(predictions.detach().cpu().tolist())
    return _jsonable(predictions)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy scalars and arrays
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):  # datetimes, pandas Timestamps
        return value.isoformat()
    return str(value)
