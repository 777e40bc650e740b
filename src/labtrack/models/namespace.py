"""The ``log_model`` / ``save_model`` / ``load_model`` trio of a flavor's namespace
(``lt.sklearn``, ``lt.keras``, ``lt.pytorch``), made once here.

Each takes the model under MLflow's keyword for that flavor (``sk_model``, ``model``,
``pytorch_model``) and fixes the flavor; the rest is ``lt.log_model``'s. Nothing here imports
a framework: the flavor's code loads when a model is saved or loaded.

>>> log_model, save_model, load_model = flavor_api(              # doctest: +SKIP
...     "sklearn", model_arg="sk_model", what="an estimator", files="``model.pkl``",
...     loads="the estimator itself")
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any, NamedTuple

_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD


class FlavorAPI(NamedTuple):
    log_model: Callable[..., Any]
    save_model: Callable[..., Any]
    load_model: Callable[..., Any]


def flavor_api(flavor: str, *, model_arg: str = "model", what: str, files: str,
               loads: str) -> FlavorAPI:
    """The three functions of the namespace of ``flavor``; ``what`` names the model
    (``a Keras model``), ``files`` says how it is saved, ``loads`` what loading gives back."""
    module = f"labtrack.{flavor}"
    log_signature = inspect.Signature([
        inspect.Parameter(model_arg, _KEYWORD),
        inspect.Parameter("name", _KEYWORD, default=None),
        inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD),
    ])
    save_signature = inspect.Signature([
        inspect.Parameter(model_arg, _KEYWORD),
        inspect.Parameter("path", _KEYWORD),
        inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD),
    ])

    def log_model(*args: Any, **kwargs: Any):
        from labtrack.models.save import log_model as log

        bound = log_signature.bind(*args, **kwargs).arguments
        return log(bound[model_arg], bound.get("name"), flavor=flavor, **bound.get("kwargs", {}))

    def save_model(*args: Any, **kwargs: Any):
        from labtrack.models.save import save_model as save

        bound = save_signature.bind(*args, **kwargs).arguments
        return save(bound[model_arg], bound["path"], flavor=flavor, **bound.get("kwargs", {}))

    def load_model(model_uri: str | os.PathLike, dst_path: str | None = None) -> Any:
        from labtrack.models.load import load_native

        return load_native(model_uri, flavor, dst_path)

    _describe(log_model, module, log_signature,
              f"Log {what} ({files}) into the active run. Arguments as ``lt.log_model``; "
              "returns ``ModelInfo``.")
    _describe(save_model, module, save_signature, f"Save {what} into the new folder ``path``.")
    _describe(load_model, module, None,
              f"The model saved at ``model_uri`` (``runs:/``, ``models:/`` or a folder): {loads}.")
    return FlavorAPI(log_model, save_model, load_model)


def _describe(function: Callable, module: str, signature: inspect.Signature | None,
              doc: str) -> None:
    """What ``help()`` and tab completion show: the flavor's module, its keywords, its doc."""
    function.__module__ = module
    function.__qualname__ = function.__name__
    function.__doc__ = doc
    if signature is not None:
        function.__signature__ = signature  # type: ignore[attr-defined]
