"""A model's signature: the schema of its inputs and outputs, and how to infer it from data.

The JSON form is MLflow's, so an ``MLmodel`` file reads the same in both tools:
named columns ``{"type": "double", "name": "x", "required": true}``, or one tensor
``{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}``.
numpy and pandas are imported only when data is inspected.

>>> signature = infer_signature(X_train, model.predict(X_train))  # doctest: +SKIP
>>> lt.log_model(model, "model", signature=signature)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from labtrack.errors import InvalidParameter

# MLflow's column types -> the numpy dtype that holds them.
COLUMN_TYPES = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "object",
    "binary": "object",
    "datetime": "datetime64[ns]",
}


@dataclass(frozen=True)
class ColSpec:
    """One input column: its MLflow type (``double``, ``long``, ``string``, ...) and name."""

    type: str
    name: str | None = None
    required: bool = True

    def __post_init__(self):
        if self.type not in COLUMN_TYPES:
            raise InvalidParameter(
                f"unknown column type {self.type!r}; use one of {', '.join(COLUMN_TYPES)}"
            )

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            spec["name"] = self.name
        spec["required"] = self.required
        return spec


@dataclass(frozen=True)
class TensorSpec:
    """An array input: its numpy dtype and shape, ``-1`` where any size is accepted."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "type": "tensor",
            "tensor-spec": {"dtype": self.dtype, "shape": list(self.shape)},
        }
        if self.name is not None:
            spec["name"] = self.name
        return spec


@dataclass(frozen=True)
class Schema:
    """A list of named (or unnamed) columns, or of tensors; never a mix."""

    inputs: tuple[ColSpec | TensorSpec, ...]

    def __init__(self, inputs):
        specs = tuple(inputs)
        if len({isinstance(spec, TensorSpec) for spec in specs}) > 1:
            raise InvalidParameter("a schema holds either columns or tensors, not both")
        object.__setattr__(self, "inputs", specs)

    def is_tensor_spec(self) -> bool:
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return bool(self.inputs) and all(spec.name is not None for spec in self.inputs)

    def input_names(self) -> list[str | int]:
        return [spec.name if spec.name is not None else i for i, spec in enumerate(self.inputs)]

    def to_dict(self) -> list[dict[str, Any]]:
        """Each column or tensor as a JSON-ready dict, as MLflow's ``Schema.to_dict``."""
        return [spec.to_dict() for spec in self.inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Schema:
        return cls(_spec_from_dict(item) for item in json.loads(text))

    def __repr__(self) -> str:
        return "\n".join(["Schema:", *(f"  {_describe(spec)}" for spec in self.inputs)])


# MLflow's param types, each with the Python values it takes (bool is not an int here).
PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (float, int),
    "double": (float, int),
    "string": (str,),
    "binary": (bytes,),
    "datetime": (str,),
}


@dataclass(frozen=True)
class ParamSpec:
    """One inference param (MLflow's ``ParamSpec``): its name, MLflow type, default value,
    and ``shape`` ``(-1,)`` for a list of values (None for one value)."""

    name: str
    dtype: str
    default: Any
    shape: tuple[int, ...] | None = None

    def __post_init__(self):
        if self.dtype not in PARAM_TYPES:
            raise InvalidParameter(
                f"unknown param type {self.dtype!r}; use one of {', '.join(PARAM_TYPES)}"
            )
        if self.shape is not None:
            object.__setattr__(self, "shape", tuple(self.shape))

    def to_dict(self) -> dict[str, Any]:
        """MLflow's JSON form: ``{"name", "type", "default", "shape"}``."""
        shape = list(self.shape) if self.shape is not None else None
        return {"name": self.name, "type": self.dtype, "default": self.default, "shape": shape}


@dataclass(frozen=True)
class ParamSchema:
    """The inference params a model's ``predict`` takes (MLflow's ``ParamSchema``)."""

    params: tuple[ParamSpec, ...]

    def __init__(self, params):
        object.__setattr__(self, "params", tuple(params))

    def defaults(self) -> dict[str, Any]:
        """Each param's default value, by name."""
        return {spec.name: spec.default for spec in self.params}

    def to_dict(self) -> list[dict[str, Any]]:
        """Each param as a JSON-ready dict, as MLflow's ``ParamSchema.to_dict``."""
        return [spec.to_dict() for spec in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        return cls(
            ParamSpec(item["name"], item["type"], item.get("default"), item.get("shape"))
            for item in json.loads(text)
        )


@dataclass(frozen=True)
class ModelSignature:
    """What a model takes (``inputs``) and returns (``outputs``), and the inference
    ``params`` its ``predict`` accepts; any may be None."""

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The form stored in ``MLmodel``: each schema as a JSON string, as MLflow does."""
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSignature:
        def schema(text):
            return Schema.from_json(text) if text else None

        params = data.get("params")
        return cls(
            schema(data.get("inputs")),
            schema(data.get("outputs")),
            ParamSchema.from_json(params) if params else None,
        )


def _spec_from_dict(item: dict[str, Any]) -> ColSpec | TensorSpec:
    if item.get("type") == "tensor":
        tensor = item["tensor-spec"]
        return TensorSpec(tensor["dtype"], tuple(tensor["shape"]), item.get("name"))
    return ColSpec(item["type"], item.get("name"), item.get("required", True))


def _describe(spec: ColSpec | TensorSpec) -> str:
    if isinstance(spec, TensorSpec):
        return f"{spec.name or 'tensor'}: {spec.dtype} {list(spec.shape)}"
    return f"{spec.name!r}: {spec.type}" + ("" if spec.required else " (optional)")


# -- inference ------------------------------------------------------------------------------


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: dict | None = None
) -> ModelSignature:
    """The signature that describes these example inputs and outputs.

    A pandas DataFrame (or a dict of columns, or a list of dicts) gives named columns with
    their types; a numpy array, a tensor or a list of lists gives a tensor whose first
    dimension is left free (-1).

    >>> infer_signature(iris_frame, clf.predict(iris_frame))  # doctest: +SKIP
    """
    return ModelSignature(
        infer_schema(model_input) if model_input is not None else None,
        infer_schema(model_output) if model_output is not None else None,
        infer_param_schema(params) if params else None,
    )


def infer_param_schema(params: dict[str, Any]) -> ParamSchema:
    """The ``ParamSchema`` of example inference params: each value is its param's default
    (a list gives shape ``(-1,)``), typed as MLflow types it."""
    if not isinstance(params, dict):
        raise InvalidParameter(f"params must be a dict of name: default value, got {params!r}")
    return ParamSchema(_param_spec(name, value) for name, value in params.items())


def _param_spec(name: Any, value: Any) -> ParamSpec:
    values, shape = (value, (-1,)) if isinstance(value, list) else ([value], None)
    kinds = {_param_type(item) for item in values} - {None}
    if len(kinds) != 1 or None in map(_param_type, values):
        raise InvalidParameter(
            f"param {name!r}: cannot infer a type from {value!r}; use a bool, int, float, str or "
            "bytes, or a list of one of these"
        )
    return ParamSpec(str(name), kinds.pop(), value, shape)


def _param_type(value: Any) -> str | None:
    for kind, python_type in (
        ("boolean", bool),
        ("long", int),
        ("double", float),
        ("string", str),
        ("binary", bytes),
    ):
        if isinstance(value, python_type):
            return kind
    return None


def infer_schema(data: Any) -> Schema:
    """The schema of one example value (see ``infer_signature``)."""
    import numpy as np
    import pandas as pd

    if isinstance(data, str) or (
        isinstance(data, list) and data and all(isinstance(item, str) for item in data)
    ):
        # A text or a batch of texts: one unnamed string column, as MLflow infers it.
        return Schema([ColSpec("string")])
    data = as_frame_or_array(data)
    if isinstance(data, pd.DataFrame):
        return Schema(
            ColSpec(column_type(data[column], column), str(column)) for column in data.columns
        )
    if isinstance(data, pd.Series):
        return Schema([ColSpec(column_type(data, data.name or "output"))])
    array = np.asarray(data)
    if array.dtype == object:
        raise InvalidParameter(
            "cannot infer a tensor signature from an array of Python objects; "
            "pass a pandas DataFrame with typed columns, or give signature= explicitly"
        )
    return Schema([TensorSpec(array.dtype.name, (-1, *array.shape[1:]) if array.ndim else ())])


def as_frame_or_array(data: Any) -> Any:
    """A DataFrame for tabular Python data (dict of columns, list of dicts), a numpy array for
    tensors (torch and Keras tensors included); anything else as it was."""
    import pandas as pd

    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data
    if isinstance(data, dict):
        return pd.DataFrame(data if all(_is_sequence(v) for v in data.values()) else [data])
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        return pd.DataFrame(data)
    if hasattr(data, "detach") and hasattr(data, "cpu"):  # a torch tensor
        return data.detach().cpu().numpy()
    if hasattr(data, "toarray"):  # scipy.sparse
        return data.toarray()
    if hasattr(data, "__array__") or isinstance(data, (list, tuple)):
        import numpy as np

        return np.asarray(data)
    return data


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or hasattr(value, "__array__")


def column_type(column: Any, name: Any) -> str:
    """The MLflow type of a pandas column, judged by its values where the dtype is ``object``."""
    import numpy as np
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return column_type(pd.Series(dtype.categories), name)
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        numpy_dtype = np.dtype(getattr(dtype, "numpy_dtype", dtype))  # pandas' Int64 too
        fits_int32 = numpy_dtype.itemsize < 4 or (
            numpy_dtype.itemsize == 4 and numpy_dtype.kind == "i"
        )
        return "integer" if fits_int32 else "long"
    if pd.api.types.is_float_dtype(dtype):
        return "float" if str(dtype).lower() == "float32" else "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        values = column.dropna()
        if len(values) and all(isinstance(v, str) for v in values):
            return "string"
        if len(values) and all(isinstance(v, (bytes, bytearray)) for v in values):
            return "binary"
    raise InvalidParameter(
        f"cannot infer a type for column {name!r} (dtype {dtype}); "
        "give it a single type (numbers, strings, bytes, booleans or datetimes) or pass signature="
    )
