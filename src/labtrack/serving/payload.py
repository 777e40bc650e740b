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
import re
from typing import Any

SHAPES = ("dataframe_split", "dataframe_records", "instances", "inputs")
# A memory address, as object reprs show it ("<Foo object at 0x7f3a...>"): never sent to a client.
_AT_ADDRESS = re.compile(r"\s+at 0x[0-9a-fA-F]+")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


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
    except RecursionError:  # the parser recurses once per level of nesting
        raise RequestError(
            "the body is not valid JSON: it is nested too deeply", error_code="MALFORMED_REQUEST"
        ) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestError(
            f"the body is not valid JSON: {error}", error_code="MALFORMED_REQUEST"
        ) from None
    if not isinstance(payload, dict):
        raise RequestError(
            f"the JSON body must be an object with one of the keys {', '.join(SHAPES)}"
        )
    shapes = [key for key in SHAPES if key in payload]
    unknown = set(payload) - {*SHAPES, "params"}
    if len(shapes) != 1 or unknown:
        found = ", ".join(sorted(payload)) or "no keys"
        raise RequestError(
            f"the JSON body must have exactly one of the keys {', '.join(SHAPES)} "
            f"(and optionally params); found {found}"
        )
    params = payload.get("params")
    if params is not None and not isinstance(params, dict):
        raise RequestError("params must be a JSON object")
    return _model_input(shapes[0], payload[shapes[0]]), params


def _model_input(shape: str, value: Any) -> Any:
    return _with_rows(shape, _table(shape, value))


def _table(shape: str, value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if shape == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise RequestError('dataframe_split must be {"columns": [...], "data": [[...], ...]}')
        _same_length("dataframe_split data", value["data"])
        try:
            return pd.DataFrame(
                value["data"], columns=value.get("columns"), index=value.get("index")
            )
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
            raise RequestError(
                f"{shape} as columns must map each name to a list of one length: {error}"
            ) from None
    if not isinstance(value, list):
        raise RequestError(f"{shape} must be a list of rows (or, for inputs, an object of columns)")
    if value and all(isinstance(row, dict) for row in value):
        return pd.DataFrame(value)
    _same_length(shape, value)
    try:
        return np.asarray(value)
    except ValueError as error:  # rows ragged further down, or nested past numpy's dimensions
        raise RequestError(f"{shape} do not form an array: {error}") from None


def _same_length(what: str, rows: list) -> None:
    """Rows given as lists must all be lists of one length: pandas would pad short rows with
    NaN, and numpy's refusal does not say which row is short."""
    if not any(isinstance(row, list) for row in rows):
        return
    width = len(rows[0]) if isinstance(rows[0], list) else None
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise RequestError(
                f"{what} rows must all be lists of the same length: row {index} is a single value"
            )
        if len(row) != width:
            raise RequestError(
                f"{what} rows must all have the same length: "
                f"row 0 has {width} values, row {index} has {len(row)}"
            )


def _with_rows(what: str, table: Any) -> Any:
    """``table`` (a DataFrame or an array), which must have rows with values in them."""
    if len(table) == 0:
        raise RequestError(f"{what} has no rows: send at least one")
    if table.size == 0:
        raise RequestError(f"{what} rows have no values")
    return table


def _parse_csv(body: bytes) -> Any:
    import pandas as pd

    try:
        table = pd.read_csv(io.BytesIO(body))
    except (ValueError, UnicodeDecodeError) as error:  # pandas' ParserError is a ValueError
        raise RequestError(
            f"the body is not a CSV table with a header row: {error}",
            error_code="MALFORMED_REQUEST",
        ) from None
    return _with_rows("the CSV table", table)


class UnwritablePredictions(Exception):
    """The model's output holds something JSON cannot carry (an object with no text of its
    own, nesting deeper than the encoder goes)."""


def predictions_json(predictions: Any) -> Any:
    """Predictions as JSON values: a DataFrame as records, arrays as (nested) lists,
    NaN and infinities as null (JSON has no NaN), an object with a text of its own (a
    Decimal, a UUID) as that text; ``UnwritablePredictions`` for anything else."""
    try:
        return _predictions_json(predictions)
    except RecursionError:
        raise UnwritablePredictions("they are nested too deeply") from None


def _predictions_json(predictions: Any) -> Any:
    if hasattr(predictions, "to_dict") and hasattr(predictions, "columns"):  # DataFrame
        return _jsonable(predictions.to_dict(orient="records"))
    if hasattr(predictions, "tolist"):  # numpy array or pandas Series
        return _jsonable(predictions.tolist())
    if hasattr(predictions, "detach"):  # a torch tensor
        return _jsonable(predictions.detach().cpu().tolist())
    return _jsonable(predictions)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key if isinstance(key, str) else str(_jsonable(key)): _jsonable(item)
            for key, item in value.items()
        }
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
    if type(value).__str__ is object.__str__:  # its text would be its repr, with its address
        raise UnwritablePredictions(f"they hold a {type(value).__name__}, which has no JSON form")
    return without_addresses(str(value))


def without_addresses(text: str) -> str:
    """``text`` with the memory addresses of object reprs taken out: "<Foo object at 0x7f...>"
    becomes "<Foo object>". What the server sends never shows where its objects live."""
    return _ADDRESS.sub("0x...", _AT_ADDRESS.sub("", text))
