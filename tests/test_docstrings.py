"""Every name users import from labtrack, and every public method of ``labtrack.Client``,
has a docstring.

Light on purpose: the lazily loaded names (widgets, models, serving, ...) are checked in
their source with ``ast``, without importing their libraries; only ``labtrack.client`` is
imported.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import labtrack
from labtrack.client import Client


def _module_tree(module_name: str) -> ast.Module:
    """The parsed source of a labtrack module, found without importing it (``find_spec``
    would import the parent packages, and with them their libraries)."""
    path = Path(labtrack.__file__).parent.joinpath(*module_name.split(".")[1:])
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return ast.parse(source.read_text(encoding="utf-8"))


def _source_docstring(module_name: str, name: str | None) -> str | None:
    """The docstring of ``module_name.name`` (the module's own when name is None), following
    ``from labtrack... import name`` re-exports."""
    tree = _module_tree(module_name)
    if name is None:
        return ast.get_docstring(tree)
    for node in tree.body:
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.name == name
        ):
            return ast.get_docstring(node)
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").startswith("labtrack")
        ):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return _source_docstring(node.module, alias.name)
    raise AssertionError(f"{name} is not defined or imported at the top of {module_name}")


def _public_names() -> dict[str, str | None]:
    """Every ``labtrack.<name>`` a user can import, with its docstring."""
    docs: dict[str, str | None] = {}
    for name in sorted(set(labtrack.__all__) | set(labtrack._LAZY)):
        if name in labtrack._LAZY and name not in vars(labtrack):
            docs[name] = _source_docstring(*labtrack._LAZY[name])
        else:
            docs[name] = getattr(labtrack, name).__doc__
    return docs


def _client_methods() -> dict[str, str | None]:
    docs = {}
    for name, member in inspect.getmembers(Client):
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            docs[name] = member.__doc__
        elif callable(member):
            docs[name] = member.__doc__
    return docs


def test_every_public_name_of_labtrack_has_a_docstring():
    names = _public_names()
    assert {"log_param", "set_tag", "Client", "runs", "log_model", "serve"} <= set(names)
    missing = sorted(name for name, doc in names.items() if not (doc or "").strip())
    assert missing == [], f"labtrack names without a docstring: {missing}"


def test_every_public_method_of_client_has_a_docstring():
    methods = _client_methods()
    assert {"log_param", "set_tag", "get_model_version", "search_runs"} <= set(methods)
    missing = sorted(name for name, doc in methods.items() if not (doc or "").strip())
    assert missing == [], f"Client methods without a docstring: {missing}"
