"""``PyFuncModel``: one predictor for every flavor, which checks its input first.

>>> model = lt.load_model("models:/iris@champion")       # doctest: +SKIP
>>> model.predict(frame)            # a DataFrame, an array, or a list of dicts
"""

from __future__ import annotations

from collections.abc import Callable
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
    ):
        self.metadata = metadata
        self.flavor = flavor
        self.model_uri = model_uri
        self._native = native
        self._predict = predict

    @property
    def signature(self):
        return self.metadata.signature

    def predict(self, data: Any, params: dict | None = None) -> Any:
        """Predictions for ``data``: a pandas DataFrame, a numpy array (or tensor), a list
        of dicts, or a dict of columns."""
        return self._predict(conform(data, self.metadata.get_input_schema()), params)

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
