"""MLflow's keyword arguments of the flavors' ``log_model`` / ``save_model`` / ``load_model``.

``lt.sklearn.log_model(clf, "model", code_paths=[...], serialization_format="pickle")`` and
friends take every parameter MLflow documents for that function. Each one is, here:

* handled by ``labtrack.models`` (``signature``, ``input_example``, ``pip_requirements``, ...)
  or by the flavor's ``save`` (``serialization_format``, ``pickle_module``, ...);
* a model-folder option every flavor's ``save`` takes (``code_paths``, ``conda_env``,
  ``extra_files``), written by ``write_common``;
* one that changes nothing in labtrack (``IGNORED``: registration is synchronous);
* refused with an ``InvalidParameter`` naming it when given a value that would need what
  labtrack does not have (``REFUSED``: torch.export, Databricks resources, uv, ...);
  its default (None, False, empty) is accepted.

Anything else is an ``InvalidParameter`` naming the function and the argument, never a bare
``TypeError``. ``tests/models/test_mlflow_surface_kwargs.py`` checks these names against the
real MLflow's signatures.
"""

from __future__ import annotations

import inspect
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter

CODE_FOLDER = "code"  # MLflow's: the flavor entry's "code" key names it
EXTRA_FILES_FOLDER = "extra_files"
CONDA_FILE = "conda.yaml"

# Accepted, checked, and without effect here.
IGNORED = {
    # MLflow waits this long for an asynchronous registry; labtrack's registers at once.
    "await_registration_for",
    # MLflow's pyfunc.load_model: warnings about its environment; labtrack gives none.
    "suppress_warnings",
}

# Given anything but its default, each is refused with this explanation.
REFUSED = {
    "export_model": "torch.export ('pt2') models are not supported: labtrack saves the module "
    "with torch.save (a torch.jit.ScriptModule with torch.jit.save)",
    "save_exported_model": "Keras' exported (SavedModel) format is not supported: labtrack "
    "saves Keras models in the .keras format",
    "mlflow_model": "labtrack writes the model's MLmodel itself; pass metadata= for your own "
    "fields",
    "infer_code_paths": "labtrack does not infer code dependencies: the model is pickled with "
    "cloudpickle (code defined in a notebook travels with it); list other modules in "
    "code_paths",
    "streamable": "predict_stream is not supported",
    "resources": "Databricks resources are not supported",
    "auth_policy": "Databricks auth policies are not supported",
    "uv_project_path": "uv projects are not read: give pip_requirements instead",
    "uv_groups": "uv projects are not read: give pip_requirements instead",
    "uv_extras": "uv projects are not read: give pip_requirements instead",
    "prompts": "prompts (MLflow's GenAI prompt registry) are not supported",
}


def _unset(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, (list, tuple, dict)) and not value)


def explicit_parameters(function: Callable) -> set[str]:
    """The names ``function`` takes by keyword, without its ``**kwargs`` catch-all."""
    return {
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def prepare(label: str, kwargs: dict[str, Any], *targets: Callable) -> dict[str, Any]:
    """``kwargs`` of an MLflow-style call (``label``, e.g. ``"lt.sklearn.log_model"``) with
    what labtrack ignores taken out, after checking each name: it must be taken by one of
    ``targets`` (the functions the call hands its arguments to, such as ``lt.log_model`` and
    the flavor's ``save``), be ``IGNORED``, or be ``REFUSED`` and left at its default.

    ``conda_env`` without ``pip_requirements`` gives the requirements its ``pip:`` section
    lists, as in MLflow (which refuses both at once)."""
    accepted = set().union(*(explicit_parameters(target) for target in targets))
    prepared = {}
    for key, value in kwargs.items():
        if key == "flavor":  # the namespace's function names it: lt.sklearn saves sklearn
            raise InvalidParameter(f"{label} takes no flavor=: its namespace fixes the flavor")
        if key in IGNORED:
            if key == "await_registration_for" and not (
                value is None or (isinstance(value, (int, float)) and value >= 0)
            ):
                raise InvalidParameter(
                    f"{label}: await_registration_for must be a number of seconds, got {value!r}"
                )
            continue
        if key in REFUSED:
            if not _unset(value):
                raise InvalidParameter(f"{label}: {key}={value!r} is refused: {REFUSED[key]}")
            continue
        if key not in accepted:
            raise InvalidParameter(
                f"{label} got an unexpected keyword argument {key!r} (MLflow's parameters that "
                "labtrack does not know are refused, not ignored)"
            )
        prepared[key] = value
    if not _unset(prepared.get("conda_env")):
        if prepared.get("pip_requirements") is not None or prepared.get("extra_pip_requirements"):
            raise InvalidParameter(
                f"{label}: give only one of conda_env, pip_requirements and "
                "extra_pip_requirements (as MLflow requires)"
            )
        pip = _conda_pip_requirements(_conda_dict(prepared["conda_env"]))
        if pip:
            prepared["pip_requirements"] = pip
    if isinstance(prepared.get("pip_requirements"), (str, os.PathLike)):
        prepared["pip_requirements"] = _requirements_file(prepared["pip_requirements"])
    if isinstance(prepared.get("extra_pip_requirements"), (str, os.PathLike)):
        prepared["extra_pip_requirements"] = _requirements_file(prepared["extra_pip_requirements"])
    return prepared


def write_common(
    folder: Path,
    entry: dict[str, Any],
    code_paths: list[str] | None = None,
    conda_env: dict | str | None = None,
    extra_files: list[str] | None = None,
) -> dict[str, Any]:
    """Write what every flavor's ``save`` may be given into the model's ``folder`` and record it
    in the flavor's ``MLmodel`` ``entry`` (returned), as MLflow lays it out:

    * ``code_paths``: files and folders copied into ``code/``; loading puts ``code/`` first on
      ``sys.path`` (``entry["code"] = "code"``);
    * ``conda_env``: a dict or a YAML file's path, written as ``conda.yaml``;
    * ``extra_files``: files copied into ``extra_files/`` (``entry["extra_files"]`` lists them).
    """
    if code_paths is not None:
        _copy_into(folder, CODE_FOLDER, _paths("code_paths", code_paths))
        entry["code"] = CODE_FOLDER
    if not _unset(conda_env):
        import yaml

        text = yaml.safe_dump(_conda_dict(conda_env), default_flow_style=False, sort_keys=False)
        (folder / CONDA_FILE).write_text(text)
    if extra_files is not None:
        copied = _copy_into(folder, EXTRA_FILES_FOLDER, _paths("extra_files", extra_files))
        entry["extra_files"] = [{"path": f"{EXTRA_FILES_FOLDER}/{name}"} for name in copied]
    return entry


def add_code_to_path(folder: Path, flavors: dict[str, dict[str, Any]]) -> None:
    """Put the ``code/`` folder a model was saved with (``code_paths``) first on ``sys.path``,
    so that unpickling finds the modules it names; a model without one changes nothing."""
    import sys

    from labtrack.artifacts import safe_join

    for entry in flavors.values():
        code = entry.get("code") if isinstance(entry, dict) else None
        if code:
            path = str(safe_join(folder, code))
            if path not in sys.path:
                sys.path.insert(0, path)


def _paths(name: str, paths: Any) -> list[str]:
    if isinstance(paths, (str, os.PathLike)) or not all(
        isinstance(p, (str, os.PathLike)) for p in paths
    ):
        raise InvalidParameter(
            f"{name} must be a list of local file or folder paths, got {paths!r}"
        )
    for path in paths:
        if not os.path.exists(path):
            raise InvalidParameter(f"{name}: no such file or folder {os.fspath(path)!r}")
    return [os.fspath(p) for p in paths]


def _copy_into(folder: Path, subfolder: str, paths: list[str]) -> list[str]:
    """Copy each file or folder into ``folder/subfolder`` under its own name; the names."""
    target = folder / subfolder
    target.mkdir(exist_ok=True)
    names = []
    for path in paths:
        source = Path(path)
        name = source.resolve().name
        if source.is_dir():
            shutil.copytree(source, target / name, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target / name)
        names.append(name)
    return names


def _conda_dict(conda_env: Any) -> dict:
    if isinstance(conda_env, dict):
        return conda_env
    if isinstance(conda_env, (str, os.PathLike)) and os.path.isfile(conda_env):
        import yaml

        loaded = yaml.safe_load(Path(conda_env).read_text())
        if isinstance(loaded, dict):
            return loaded
    raise InvalidParameter(
        f"conda_env must be a dict or the path of a conda environment YAML file, got {conda_env!r}"
    )


def _conda_pip_requirements(conda: dict) -> list[str]:
    for dependency in conda.get("dependencies") or ():
        if isinstance(dependency, dict) and "pip" in dependency:
            return [str(line) for line in dependency["pip"]]
    return []


def _requirements_file(path: str | os.PathLike) -> list[str]:
    """A requirements file's lines (MLflow takes its path as well as a list)."""
    if not os.path.isfile(path):
        raise InvalidParameter(f"no requirements file at {os.fspath(path)!r}")
    lines = (line.strip() for line in Path(path).read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]
