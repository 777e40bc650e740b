"""``PythonModel``: MLflow's base class for custom models, and the context they load with.

Subclass it when a model needs set-up at load time (reading files logged with it as
``artifacts``); a plain function or any object with ``predict`` needs no subclass.

>>> class AddN(lt.pyfunc.PythonModel):                       # doctest: +SKIP
...     def load_context(self, context):
...         self.n = int(open(context.artifacts["n"]).read())
...     def predict(self, context, model_input, params=None):
...         return model_input + self.n
>>> lt.pyfunc.log_model("add_n", python_model=AddN(), artifacts={"n": "n.txt"})
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: local paths of the model's artifacts."""

    artifacts: dict[str, str] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)


class PythonModel:
    """Base class of custom models: override ``predict`` (and ``load_context`` if needed)."""

    def load_context(self, context: PythonModelContext) -> None:
        """Called once when the model is loaded, before any ``predict``."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict | None = None
    ) -> Any:
        raise NotImplementedError(
            "a PythonModel must implement predict(self, context, model_input, params=None)"
        )


def call_predict(
    predict: Any, context: PythonModelContext | None, data: Any, params: dict | None
) -> Any:
    """Call a user's ``predict`` however it is written: with or without MLflow's ``context``
    argument (MLflow 3 allows ``predict(self, model_input)``), with ``params`` only if it
    takes them."""
    parameters = _parameters(predict)
    positional = [
        p
        for p in parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "params"
    ]
    arguments = [context, data] if context is not None and len(positional) >= 2 else [data]
    takes_params = "params" in parameters or any(
        p.kind is p.VAR_KEYWORD for p in parameters.values()
    )
    return (
        predict(*arguments, params=params)
        if takes_params and params is not None
        else predict(*arguments)
    )


def _parameters(function: Any) -> dict[str, inspect.Parameter]:
    try:
        return dict(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # a builtin or C function: assume predict(data)
        return {}
