"""Run unchanged MLflow code on labtrack: ``import mlflow`` (and ``mlflow.sklearn``,
``mlflow.models``, ``mlflow.exceptions``, ...) resolves to labtrack's modules.

Nothing named ``mlflow`` is installed: the alias exists only in a process that asks for it, so a
real MLflow installation is never shadowed by accident. Ways to ask:

- a script: ``labtrack exec train.py --epochs 3`` or ``python -m labtrack.mlflow_alias
  train.py --epochs 3`` (``-m package.module`` runs a module, as ``python -m`` does);
- code: ``labtrack.use_as_mlflow()`` before the first
  ``import mlflow``;
- a notebook: ``%load_ext labtrack.mlflow_alias`` in its first cell or, for notebooks left
  untouched, ``c.InteractiveShellApp.extensions = ["labtrack.mlflow_alias"]`` in
  ``ipython_kernel_config.py``.

``MODULES`` lists the MLflow modules labtrack stands in for. Importing any other ``mlflow.*``
module raises ``ModuleNotFoundError`` naming it (``mlflow.xgboost``: labtrack does not provide
it); reading it as an attribute (``mlflow.xgboost.autolog()``, which MLflow loads lazily)
raises an ``AttributeError`` that says the same. Libraries that look for MLflow with
``importlib.util.find_spec("mlflow")`` find the alias too, and may then use parts of MLflow
labtrack does not provide.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import types
from collections.abc import Sequence
from typing import Any

from labtrack.errors import InvalidParameter, InvalidState

# MLflow's module -> the labtrack module that stands in for it.
MODULES: dict[str, str] = {
    "mlflow": "labtrack",
    "mlflow.client": "labtrack.client",
    "mlflow.tracking": "labtrack.tracking",
    "mlflow.tracking.client": "labtrack.client",
    "mlflow.exceptions": "labtrack.errors",
    "mlflow.entities": "labtrack.entities",
    "mlflow.entities.model_registry": "labtrack.entities.model_registry",
    "mlflow.models": "labtrack.models",
    "mlflow.models.model": "labtrack.models",
    "mlflow.models.signature": "labtrack.models.signature",
    "mlflow.types": "labtrack.models.signature",
    "mlflow.types.schema": "labtrack.models.signature",
    "mlflow.pyfunc": "labtrack.pyfunc",
    "mlflow.sklearn": "labtrack.sklearn",
    "mlflow.pytorch": "labtrack.pytorch",
    "mlflow.keras": "labtrack.keras",
    "mlflow.projects": "labtrack.projects",
    "mlflow.data": "labtrack.data",
    "mlflow.artifacts": "labtrack.artifact_uris",
}


def _not_provided(name: str) -> ModuleNotFoundError:
    return ModuleNotFoundError(
        f"No module named {name!r}: labtrack, standing in for MLflow in this process "
        "(labtrack.mlflow_alias), does not provide it",
        name=name,
    )


class AliasModule(types.ModuleType):
    """An ``mlflow.*`` module: every attribute is read from the labtrack module behind it.

    A module of its own, not the labtrack module under a second name: the import system
    stamps ``__spec__`` and submodule attributes on what it imports, and labtrack's modules
    must keep their own.
    """

    def __init__(self, name: str, target: types.ModuleType):
        super().__init__(name, target.__doc__)
        self.__labtrack_module__ = target

    def __getattr__(self, attribute: str) -> Any:
        # Only reached when the alias itself lacks the attribute.
        submodule = f"{self.__name__}.{attribute}"
        if submodule in MODULES:  # `import mlflow; mlflow.sklearn.log_model(...)`
            return importlib.import_module(submodule)
        try:
            return getattr(self.__labtrack_module__, attribute)
        except AttributeError:
            # An AttributeError still (hasattr() must stay False), but one that says why:
            # MLflow loads its flavor modules on attribute access (`mlflow.xgboost.autolog()`).
            raise AttributeError(
                f"module {self.__name__!r} has no attribute {attribute!r}: labtrack, standing "
                f"in for MLflow in this process (labtrack.mlflow_alias), does not provide "
                f"{submodule}",
                name=attribute,
                obj=self,
            ) from None

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(dir(self.__labtrack_module__)))

    def __repr__(self) -> str:
        return f"<module {self.__name__!r} (labtrack's {self.__labtrack_module__.__name__})>"


class _Loader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec) -> AliasModule:
        return AliasModule(spec.name, importlib.import_module(self.target))

    def exec_module(self, module: types.ModuleType) -> None:
        pass  # the labtrack module was executed when it was imported


class AliasFinder(importlib.abc.MetaPathFinder):
    """The ``sys.meta_path`` entry that answers for ``mlflow`` and its submodules."""

    def find_spec(self, fullname: str, path=None, target=None):
        """A spec for the alias of ``fullname``; None outside ``mlflow``. Raises
        ``ModuleNotFoundError`` for an MLflow module labtrack does not provide."""
        if fullname != "mlflow" and not fullname.startswith("mlflow."):
            return None
        # A target missing from this labtrack (an entry ahead of its module) is not provided.
        if fullname not in MODULES or importlib.util.find_spec(MODULES[fullname]) is None:
            raise _not_provided(fullname)
        # A package (with an empty __path__) so that `import mlflow.x` asks this finder again.
        return importlib.util.spec_from_loader(
            fullname, _Loader(MODULES[fullname]), is_package=True
        )


def is_installed() -> bool:
    """Whether ``import mlflow`` gives labtrack in this process."""
    return any(isinstance(finder, AliasFinder) for finder in sys.meta_path)


def use_as_mlflow() -> None:
    """Make ``import mlflow`` and ``import mlflow.<module>`` give labtrack's modules in this
    process, from now on (calling it again does nothing).

    Raises ``InvalidState`` if MLflow itself was imported already: code that imported it
    would keep using it.
    """
    existing = sys.modules.get("mlflow")
    if existing is not None and not isinstance(existing, AliasModule):
        raise InvalidState(
            "MLflow itself is imported in this process already "
            f"({getattr(existing, '__file__', existing)!r}): install labtrack's alias before "
            "the first `import mlflow`, e.g. in a new process with `labtrack exec`"
        )
    if not is_installed():
        sys.meta_path.insert(0, AliasFinder())


def uninstall() -> None:
    """Undo ``use_as_mlflow``: ``import mlflow`` finds MLflow itself again, if it is installed."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, AliasFinder)]
    for name, module in list(sys.modules.items()):
        if isinstance(module, AliasModule):
            del sys.modules[name]


def load_ipython_extension(ipython) -> None:
    """``%load_ext labtrack.mlflow_alias``: ``import mlflow`` gives labtrack in this kernel."""
    use_as_mlflow()


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext labtrack.mlflow_alias``: undo ``load_ipython_extension``."""
    uninstall()


def run(target: str, args: Sequence[str] = (), module: bool = False) -> None:
    """Run the script at ``target`` (or the module named ``target`` if ``module``) as
    ``__main__`` with ``sys.argv`` ``[target, *args]`` and the alias installed, as
    ``python target args...`` (or ``python -m target args...``) would run it.

    Raises ``InvalidParameter`` for a script or module that does not exist; the script's own
    exceptions and ``SystemExit`` propagate.
    """
    check_target(target, module)
    use_as_mlflow()
    sys.argv = [target, *args]
    if module:
        sys.path[0] = os.getcwd()  # as `python -m`
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.path[0] = os.path.dirname(os.path.abspath(target))  # as `python script.py`
        runpy.run_path(target, run_name="__main__")


def check_target(target: str, module: bool = False) -> None:
    """Raise ``InvalidParameter`` unless ``target`` is a script file (or, if ``module``, a
    module that can be found)."""
    if module:
        try:
            found = importlib.util.find_spec(target) is not None
        except ImportError:  # a parent package is missing
            found = False
        if not found:
            raise InvalidParameter(f"no module named {target!r}")
    elif not os.path.isfile(target):
        raise InvalidParameter(f"no such script: {target}")
    elif target.endswith(".ipynb"):
        raise InvalidParameter(
            f"{target} is a notebook, not a script: in Jupyter, run `%load_ext "
            "labtrack.mlflow_alias` first (or set c.InteractiveShellApp.extensions = "
            '["labtrack.mlflow_alias"] in ipython_kernel_config.py)'
        )


def add_arguments(parser) -> None:
    """The arguments of ``labtrack exec`` and ``python -m labtrack.mlflow_alias``."""
    import argparse

    parser.add_argument(
        "-m", dest="module", action="store_true", help="run a module, as `python -m` does"
    )
    parser.add_argument("target", metavar="SCRIPT", help="the script (or module) to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m labtrack.mlflow_alias [-m] SCRIPT [ARGS...]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m labtrack.mlflow_alias",
        description="Run an MLflow script unchanged, with `import mlflow` giving labtrack.",
    )
    add_arguments(parser)
    options = parser.parse_args(argv)
    try:
        check_target(options.target, options.module)
    except InvalidParameter as error:
        parser.error(str(error))  # exits with status 2, as for any bad argument
    run(options.target, options.args, module=options.module)


if __name__ == "__main__":
    # Through the imported module, not this __main__ copy: one AliasFinder class per process.
    from labtrack.mlflow_alias import main as _main

    _main()
