"""The API reference (``docs/reference/``, built by ``mkdocs build --strict`` in .ci/test)
lists its objects by hand, grouped for readers: this keeps every name ``labtrack`` exports
on it."""

from __future__ import annotations

import importlib
from pathlib import Path

import labtrack

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference"


def _documented_names() -> set[str]:
    """The names the reference documents: each ``::: path`` directive's object, and every
    public name of a module documented whole."""
    paths = [
        line.split()[1]
        for page in REFERENCE.glob("*.md")
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("::: ")
    ]
    names = set()
    for path in paths:
        names.add(path.rsplit(".", 1)[-1])
        try:
            module = importlib.import_module(path)
        except ImportError:  # a function or a class, not a module
            continue
        names |= {name for name in getattr(module, "__all__", vars(module)) if name[0] != "_"}
    return names


def test_every_name_labtrack_exports_is_in_the_api_reference():
    documented = _documented_names()
    missing = [
        name
        for name in labtrack.__all__
        if name not in documented
        # another name for a documented object (MlflowClient is Client)
        and not any(
            getattr(labtrack, name) is getattr(labtrack, other)
            for other in documented & set(labtrack.__all__)
        )
    ]
    assert not missing, f"not in docs/reference/*.md: {missing}"
