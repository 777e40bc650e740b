"""``PyFuncModel``: one predictor for every flavor, which checks its input first.

>>> model = lt.load_model("models:/iris@champion")       # doctest: +SKIP
>>> model.predict(frame)            # a DataFrame, an array, or a list of dicts
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labtrack.models.enforcement import conform
from labtrack.models.metadata import ModelMetadata


class PyFuncModel:
    """A loaded model. ``predict`` conforms the input to the signature (a missing column or
    a type that cannot be converted without loss raises ``InvalidParameter`` naming it),
    then calls the flavor's predict."""

    def __init__(
        self,
        metadata: ModelMetadata,
        native: Any,
        predict: Callable[[Any, dict | None], Any],
        flavor: str,
        model_uri: str | None = None,
        folder: Path | None = None,
    ):
        self.metadata = metadata
        self.flavor = flavor
        self.model_uri = model_uri
        self._native = native
        self._predict = predict
        self._folder = folder

    @property
    def signature(self):
        """The model's ``ModelSignature`` (inputs and outputs), or None."""
        return self.metadata.signature

    @property
    def input_example(self) -> Any:
        """The input example the model was saved with (a DataFrame or an array), or None."""
        if self._folder is None:
            return None
        from labtrack.models.input_example import load_input_example

        return load_input_example(self._folder, self.metadata.saved_input_example_info)

    @property
    def loader_module(self) -> str | None:
        """The module that loads the model as a python_function (MLflow's property)."""
        return self.metadata.flavors.get("python_function", {}).get("loader_module")

    @property
    def model_config(self) -> dict[str, Any]:
        """A Python model's ``model_config`` as loaded (overrides included); {} for others."""
        context = getattr(self._native, "context", None)
        return dict(getattr(context, "model_config", None) or {})

    @property
    def model_id(self) -> str | None:
        """The logged model's id (MLflow 3's ``m-...``): the one its ``MLmodel`` records, else
        the one it was loaded by (``models:/<model_id>``), else None."""
        recorded = getattr(self.metadata, "model_id", None)
        if recorded:
            return recorded
        match = re.fullmatch(r"models:/(m-[0-9a-f]{32})/?", str(self.model_uri or ""))
        return match.group(1) if match else None

    def predict(self, data: Any, params: dict | None = None) -> Any:
        """Predictions for ``data``: a pandas DataFrame, a numpy array (or tensor), a list
        of dicts, or a dict of columns. ``params``: inference params; those the signature
        declares and the caller leaves out take their defaults, as in MLflow."""
        return self._predict(conform(data, self.metadata.get_input_schema()), self._params(params))

    def _params(self, params: dict | None) -> dict | None:
        declared = self.metadata.signature.params if self.metadata.signature else None
        if declared is None:
            return params
        return {**declared.defaults(), **(params or {})}

    def predict_stream(self, data: Any, params: dict | None = None):
        """The chunks a Python model's own ``predict_stream`` yields for ``data`` (MLflow's
        streaming predict); ``InvalidState`` for a model that has none."""
        python_model = getattr(self._native, "python_model", None)
        stream = getattr(python_model, "predict_stream", None)
        if not callable(stream):
            from labtrack.errors import InvalidState

            raise InvalidState("this model does not stream: it has no predict_stream method")
        from labtrack.models.python_model import call_predict

        return call_predict(stream, self._native.context, data, params)

    def get_raw_model(self) -> Any:
        """The flavor's own object: the estimator, ``nn.Module``, Keras model or Python model."""
        return self.unwrap_python_model() if self.flavor == "python_function" else self._native

    def unwrap_python_model(self) -> Any:
        """The user's Python model (function, object or ``PythonModel``) of a python_function model."""
        python_model = getattr(self._native, "python_model", None)
        if python_model is None:
            from labtrack.errors import InvalidState

            raise InvalidState(
                f"this is a {self.flavor} model, not a python_function one; use get_raw_model()"
            )
        return python_model

    def __repr__(self) -> str:
        origin = (
            f"  artifact_path: {self.metadata.artifact_path}\n"
            if self.metadata.artifact_path
            else ""
        )
        run = f"  run_id: {self.metadata.run_id}\n" if self.metadata.run_id else ""
        return f"labtrack.pyfunc.PyFuncModel:\n{origin}  flavor: {self.flavor}\n{run}".rstrip()
