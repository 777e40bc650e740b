"""Model flavors: how each kind of model is saved, loaded back and asked to predict.

Each flavor module has the same small surface:

* ``NAME``: its key under ``flavors`` in ``MLmodel`` (MLflow's: ``sklearn``, ``pytorch``,
  ``keras``, ``python_function``);
* ``PACKAGES``: the pip distributions its ``requirements.txt`` pins;
* ``matches(model)``: whether it is this kind of model, decided without importing the
  framework (a model of a framework that was never imported cannot be one of its models);
* ``save(model, folder, **options) -> dict``: write the model's files, return the flavor's
  ``MLmodel`` entry; every flavor takes ``code_paths``, ``conda_env`` and ``extra_files``
  (``options.write_common``), besides its own options;
* ``load(folder, entry, **options)``: the native object back;
* ``predictor(native, entry=None)``: a function ``(data, params) -> predictions`` over
  conformed input (the entry may choose what predicts, e.g. sklearn's ``predict_proba``).

The framework flavors (sklearn, pytorch, keras) also define the public ``log_model`` /
``save_model`` / ``load_model`` of their namespace (``lt.sklearn``, ...), with MLflow's name
for the model argument; each checks MLflow's keyword arguments (``options.prepare``), fixes
its flavor and leaves the work to ``labtrack.models``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from labtrack.errors import InvalidParameter

# Detection order matters: a Keras model on the torch backend is also a torch.nn.Module,
# and the generic Python flavor takes anything with a predict method.
_MODULES = {
    "sklearn": "labtrack.models.flavors.sklearn",
    "keras": "labtrack.models.flavors.keras",
    "pytorch": "labtrack.models.flavors.pytorch",
    "python_function": "labtrack.models.flavors.python",
}
ALIASES = {
    "python": "python_function",
    "pyfunc": "python_function",
    "torch": "pytorch",
    "scikit-learn": "sklearn",
}


def by_name(name: str) -> ModuleType:
    """The flavor module called ``name`` (MLflow's names, plus ``python`` and ``torch``)."""
    module = _MODULES.get(ALIASES.get(name, name))
    if module is None:
        raise InvalidParameter(
            f"unknown model flavor {name!r}; labtrack knows {', '.join(_MODULES)}"
        )
    return importlib.import_module(module)


def detect(model: Any) -> ModuleType:
    """The flavor that can save ``model``, or a clear error naming what is accepted."""
    for name in _MODULES:
        flavor = by_name(name)
        if flavor.matches(model):
            return flavor
    raise InvalidParameter(
        f"cannot log a {type(model).__module__}.{type(model).__qualname__}: labtrack saves "
        "scikit-learn estimators, torch.nn.Module, Keras 3 models, and any object with a "
        "predict method or plain function (the generic Python flavor)"
    )


def for_loading(flavors: dict[str, dict[str, Any]]) -> tuple[ModuleType, dict[str, Any]]:
    """The flavor to load a saved model with, and its ``MLmodel`` entry: the native flavor
    when labtrack knows it, else labtrack's own python_function."""
    for name, entry in flavors.items():
        if name in _MODULES and name != "python_function":
            return by_name(name), entry
    python = flavors.get("python_function", {})
    if "python_model" in python or python.get("loader_module"):
        return by_name("python_function"), python
    raise InvalidParameter(
        f"this model's flavors ({', '.join(flavors) or 'none'}) are not ones labtrack can load; "
        "it loads sklearn, pytorch, keras and python_function models"
    )
