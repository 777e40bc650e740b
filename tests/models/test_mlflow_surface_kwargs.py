"""Every parameter of MLflow's model and tracking functions is taken by labtrack's, or refused
with an ``InvalidParameter`` that names it: never a bare ``TypeError: unexpected keyword
argument``.

The parameter names come from the real MLflow (``inspect.signature`` in the MLflow test
environment), so a new MLflow parameter shows up here as a failure until labtrack takes or
refuses it."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, LabtrackError
from labtrack.models.flavors import options

from ..mlflow_env import mlflow_python  # noqa: F401  (session fixture)

FLAVORS = ("sklearn", "pyfunc", "pytorch", "keras")
FLUENT = (
    "start_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_text",
    "log_figure",
    "log_image",
    "log_table",
    "load_table",
    "search_runs",
    "search_experiments",
    "evaluate",
    "register_model",
    "search_registered_models",
    "search_model_versions",
    "set_model_version_tag",
)

# Prints {"<function>": [[parameter, kind], ...]} for MLflow's functions and for every method
# of MlflowClient that labtrack's Client also has. mlflow.keras imports Keras, which the
# MLflow environment lacks: a stub stands in, as only signatures are read.
SIGNATURES_SCRIPT = """
import importlib, inspect, json, sys, types
try:
    import keras
except ImportError:
    keras = types.ModuleType("keras")
    keras.__version__ = "3.0.0"
    keras.callbacks = types.SimpleNamespace(Callback=object)
    sys.modules["keras"] = keras
import mlflow, mlflow.models

def params(function):
    return [[p.name, p.kind.name] for p in inspect.signature(function).parameters.values()]

found = {}
for flavor in FLAVORS:
    module = importlib.import_module("mlflow." + flavor)
    for name in ("log_model", "save_model", "load_model"):
        found[flavor + "." + name] = params(getattr(module, name))
for name in FLUENT:
    found[name] = params(getattr(mlflow, name))
for name in CLIENT_METHODS:
    if hasattr(mlflow.MlflowClient, name):
        found["MlflowClient." + name] = params(getattr(mlflow.MlflowClient, name))[1:]
print(json.dumps(found))
"""

# Parameters labtrack does not take yet, each with where it belongs. Listed, they may still
# be taken (the list is a floor, not a pin): other work adds them.
KNOWN_GAPS = {
    # MLflow 3's LoggedModel arguments of log_model: lt.log_model's own, added with logged
    # models (labtrack.models.save).
    **{
        (f"{flavor}.log_model", name): "lt.log_model's logged-model arguments"
        for flavor in FLAVORS
        for name in ("params", "tags", "model_type", "step", "model_id")
    },
}


def _client_methods() -> list[str]:
    return sorted(
        name
        for name in dir(lt.Client)
        if not name.startswith("_") and callable(getattr(lt.Client, name))
    )


@pytest.fixture(scope="module")
def mlflow_signatures(mlflow_python):  # noqa: F811
    script = (
        f"FLAVORS = {FLAVORS!r}\nFLUENT = {FLUENT!r}\nCLIENT_METHODS = {_client_methods()!r}\n"
        + SIGNATURES_SCRIPT
    )
    out = subprocess.run([mlflow_python, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _labtrack_function(name: str):
    if name.startswith("MlflowClient."):
        return getattr(lt.Client, name.split(".", 1)[1])
    if "." in name:
        namespace, function = name.split(".")
        return getattr(importlib.import_module(f"labtrack.{namespace}"), function)
    return getattr(lt, name)


def _probe(name: str, parameter: str, value, tmp_path):
    """Call labtrack's function with ``parameter=value`` and what else it needs to get past
    its argument checks (a model it will refuse, a model URI with nothing there)."""
    function = _labtrack_function(name)
    flavor, _, kind = name.partition(".")
    if kind == "log_model":
        args = ("m",) if flavor == "pyfunc" else (object(), "m")
    elif kind == "save_model":
        args = (tmp_path / "m",) if flavor == "pyfunc" else (object(), tmp_path / "m")
    else:
        args = ("models:/no-such-model/1",)
    return function(*args, **{parameter: value})


def _taken_by_kwargs(name: str, parameter: str, tmp_path) -> bool:
    """Whether labtrack's ``**kwargs`` function takes ``parameter`` (at its default, None):
    whatever else fails, it is not for an unknown keyword."""
    try:
        _probe(name, parameter, None, tmp_path)
    except TypeError as error:
        pytest.fail(f"{name}({parameter}=None) raised a bare TypeError: {error}")
    except LabtrackError as error:
        return "unexpected keyword argument" not in str(error)
    return True


def test_every_mlflow_parameter_is_taken_or_refused_by_name(mlflow_signatures, tmp_path):
    missing = []
    for name, parameters in sorted(mlflow_signatures.items()):
        try:
            function = _labtrack_function(name)
        except AttributeError:
            missing.append(f"{name} (no such function)")
            continue
        ours = inspect.signature(function).parameters
        has_kwargs = any(p.kind is p.VAR_KEYWORD for p in ours.values())
        for parameter, kind in parameters:
            if parameter.startswith("_"):  # MLflow's private arguments
                continue
            if kind == "VAR_KEYWORD":
                taken = has_kwargs
            elif parameter in ours:
                taken = True
            else:
                taken = has_kwargs and _taken_by_kwargs(name, parameter, tmp_path)
            if not taken and (name, parameter) not in KNOWN_GAPS:
                missing.append(f"{name}({parameter})")
    assert not missing, f"MLflow parameters labtrack neither takes nor refuses: {missing}"


def test_the_functions_checked_are_the_ones_mlflow_has(mlflow_signatures):
    expected = {f"{f}.{n}" for f in FLAVORS for n in ("log_model", "save_model", "load_model")}
    assert expected | set(FLUENT) <= set(mlflow_signatures)
    # Most of MlflowClient's methods that labtrack has are compared too.
    assert len([n for n in mlflow_signatures if n.startswith("MlflowClient.")]) >= 50


def test_refused_and_ignored_names_are_mlflows_parameters(mlflow_signatures):
    """The refusal list holds MLflow's parameters only: no stale or invented names."""
    mlflow_names = {p for parameters in mlflow_signatures.values() for p, _ in parameters}
    assert set(options.REFUSED) | set(options.IGNORED) <= mlflow_names


def test_a_refused_parameter_given_a_value_is_an_error_naming_it(mlflow_signatures, tmp_path):
    checked = 0
    for flavor in FLAVORS:
        for name in (f"{flavor}.log_model", f"{flavor}.save_model"):
            for parameter, _ in mlflow_signatures[name]:
                if parameter in options.REFUSED:
                    with pytest.raises(InvalidParameter, match=rf"{parameter}=.* is refused: \w+"):
                        _probe(name, parameter, True, tmp_path)
                    checked += 1
    assert checked >= len(options.REFUSED)


def test_an_unknown_keyword_is_an_error_naming_the_function(tmp_path):
    with pytest.raises(InvalidParameter, match=r"lt\.sklearn\.log_model .*'no_such_option'"):
        _probe("sklearn.log_model", "no_such_option", 1, tmp_path)
    with pytest.raises(InvalidParameter, match="await_registration_for"):
        _probe("sklearn.log_model", "await_registration_for", "soon", tmp_path)
