"""Checking a model's input against its signature before ``predict`` sees it.

The rules (MLflow's, where they are clear):

* Named columns: every required column must be there; extra columns are dropped and the
  rest put in the signature's order. A 2-D array with as many columns as the signature
  is taken to be those columns, in order.
* Types: a value is converted only when nothing is lost (int -> float, int32 -> int64,
  float32 -> float64). ``lenient=True`` also allows narrowing within a kind
  (float64 -> float32, int64 -> int32 when the values fit, ISO text -> datetime): the REST
  server uses it because JSON numbers carry no width.
* Tensors: the dtype follows the same rules; every fixed dimension must match.

Each failure raises ``InvalidParameter`` naming the column (or tensor) and what was
expected, so a notebook user and a REST client read the same message.
"""

from __future__ import annotations

from typing import Any

from labtrack.errors import InvalidParameter
from labtrack.models.signature import COLUMN_TYPES, ColSpec, Schema, TensorSpec, as_frame_or_array


def conform(data: Any, schema: Schema | None, *, lenient: bool = False) -> Any:
    """``data`` as the model expects it: checked, converted, columns selected and ordered.

    >>> conform(frame, signature.inputs)   # doctest: +SKIP
    """
    data = as_frame_or_array(data)
    if schema is None or not schema.inputs:
        return data
    if schema.is_tensor_spec():
        return _conform_tensor(data, schema, lenient)
    return _conform_columns(data, schema, lenient)


# -- columns ----------------------------------------------------------------------------------


def _conform_columns(data: Any, schema: Schema, lenient: bool) -> Any:
    import numpy as np
    import pandas as pd

    specs: list[ColSpec] = list(schema.inputs)  # type: ignore[arg-type]
    if not schema.has_input_names():
        # Unnamed columns: match by position.
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(np.asarray(data))
        if frame.shape[1] < sum(spec.required for spec in specs):
            raise InvalidParameter(
                f"the model expects {len(specs)} input columns, got {frame.shape[1]}"
            )
        frame = frame.iloc[:, : len(specs)]
        frame.columns = range(frame.shape[1])
        specs = [ColSpec(spec.type, i, spec.required) for i, spec in enumerate(specs)]
    elif isinstance(data, pd.Series):
        frame = data.to_frame()
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        frame = _array_as_columns(data, specs)
    missing = [spec.name for spec in specs if spec.required and spec.name not in frame.columns]
    if missing:
        expected = ", ".join(f"{spec.name!r} ({spec.type})" for spec in specs)
        raise InvalidParameter(
            f"input is missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)}; the model expects {expected}"
        )
    present = [spec for spec in specs if spec.name in frame.columns]
    return pd.DataFrame(
        {spec.name: _conform_column(frame[spec.name], spec, lenient) for spec in present},
        index=frame.index,
    )


def _array_as_columns(data: Any, specs: list[ColSpec]) -> Any:
    import numpy as np
    import pandas as pd

    array = np.asarray(data)
    if array.ndim == 1 and len(specs) > 1:
        array = array.reshape(1, -1)  # one row given as a flat list
    if array.ndim != 2 or array.shape[1] != len(specs):
        names = ", ".join(repr(spec.name) for spec in specs)
        raise InvalidParameter(
            f"the model expects named columns ({names}); pass a DataFrame, a list of dicts, "
            f"or a 2-D array with {len(specs)} columns (got shape {array.shape})"
        )
    return pd.DataFrame(array, columns=[spec.name for spec in specs])


def _conform_column(column: Any, spec: ColSpec, lenient: bool) -> Any:
    import numpy as np
    import pandas as pd

    def mismatch(detail: str) -> InvalidParameter:
        return InvalidParameter(f"column {spec.name!r} must be {spec.type}, but {detail}")

    values = column.dropna()
    if spec.type in ("string", "binary"):
        kind = str if spec.type == "string" else (bytes, bytearray)
        if not all(isinstance(v, kind) for v in column.dropna()):
            raise mismatch(f"it holds {_value_kinds(column)}")
        return column
    if spec.type == "datetime":
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            return column
        if lenient and all(isinstance(v, str) for v in values):
            try:
                return pd.to_datetime(column)
            except (ValueError, TypeError) as error:
                raise mismatch(f"a value is not a date/time: {error}") from None
        raise mismatch(f"it holds {_value_kinds(column)}")
    target = np.dtype(COLUMN_TYPES[spec.type])
    if column.dtype == object:  # e.g. a JSON column of numbers with a null
        if not all(isinstance(v, (bool, int, float, np.number, np.bool_)) for v in values):
            raise mismatch(f"it holds {_value_kinds(column)}")
        column = pd.Series(list(column), index=column.index, name=column.name)
        if column.dtype == object:  # numbers mixed with None: floats with NaN
            column = column.astype("float64")
    elif not (
        pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype)
    ):
        raise mismatch(f"it holds {_value_kinds(column)}")  # text, dates, ... for a number
    if column.isna().any() and target.kind in "biu":
        raise mismatch("it has missing values (only float and double columns may hold NaN)")
    return _convert(column, target, lenient, mismatch)


def _value_kinds(column: Any) -> str:
    kinds = sorted({type(v).__name__ for v in column.dropna()})
    return f"values of type {', '.join(kinds)}" if kinds else f"dtype {column.dtype}"


def _convert(values: Any, target: Any, lenient: bool, mismatch) -> Any:
    """``values`` (a Series or an array) as ``target``, if that loses nothing (or, lenient,
    narrows within the same kind, integers only when they fit)."""
    import numpy as np

    source = np.dtype(getattr(values.dtype, "numpy_dtype", values.dtype))
    if source == target:
        return values
    if source.kind == "b" and target.kind != "b":
        raise mismatch(f"got booleans (dtype {source})")
    if np.can_cast(source, target, "safe") or (source.kind in "iu" and target.kind == "f"):
        return values.astype(target)
    if lenient and source.kind == target.kind == "f":
        return values.astype(target)
    if lenient and source.kind in "iu" and target.kind in "iu":
        info = np.iinfo(target)
        if len(values) == 0 or (values.min() >= info.min and values.max() <= info.max):
            return values.astype(target)
    if lenient and source.kind == "f" and target.kind in "iu":
        whole = len(values) == 0 or bool(np.all(np.mod(np.asarray(values), 1) == 0))
        if whole:  # JSON writes 3.0 for an integer that went through a float column
            return _convert(values.astype("int64"), target, lenient, mismatch)
    raise mismatch(f"got dtype {source}, which cannot be converted without loss")


# -- tensors ------------------------------------------------------------------------------------


def _conform_tensor(data: Any, schema: Schema, lenient: bool) -> Any:
    import numpy as np
    import pandas as pd

    if len(schema.inputs) > 1:
        raise InvalidParameter("models with several named tensor inputs are not supported yet")
    spec: TensorSpec = schema.inputs[0]  # type: ignore[assignment]
    label = f"tensor {spec.name!r}" if spec.name else "the input tensor"
    if isinstance(data, (pd.DataFrame, pd.Series)):
        data = data.to_numpy()
    array = np.asarray(data)
    if array.dtype == object:  # numbers that came as Python objects (e.g. a frame of mixed dtypes)
        array = _numeric_or_none(array)
    if array is None or array.dtype == object:
        raise InvalidParameter(
            f"{label} must be numeric ({spec.dtype}), but holds {_array_kinds(np.asarray(data))}"
        )
    expected = tuple(spec.shape)
    if len(expected) == array.ndim + 1 and expected[0] == -1 and array.ndim >= 1:
        array = array.reshape(1, *array.shape)  # one example given without its batch dimension
    if array.ndim != len(expected) or any(
        e != -1 and e != a for e, a in zip(expected, array.shape, strict=True)
    ):
        raise InvalidParameter(
            f"{label} must have shape {list(expected)} (-1: any size), got {list(array.shape)}"
        )

    def mismatch(detail: str) -> InvalidParameter:
        return InvalidParameter(f"{label} must be {spec.dtype}, but {detail}")

    return _convert(array, np.dtype(spec.dtype), lenient, mismatch)


def _numeric_or_none(array: Any) -> Any:
    import numpy as np

    try:
        converted = np.array(array.tolist())
    except (ValueError, TypeError):
        return None
    return converted if converted.dtype.kind in "biuf" else None


def _array_kinds(array: Any) -> str:
    kinds = sorted({type(v).__name__ for v in array.ravel()[:1000]})
    return f"values of type {', '.join(kinds)}"
