"""The documentation site (``mkdocs build --strict`` in .ci/test) is put together by hand:
its API reference lists objects grouped for readers, and its guides include README.md's
sections by name. These tests keep every name ``labtrack`` exports on the reference and every
README section on the site."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import labtrack

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"
# README sections the site leaves out: screenshots at repository paths, and a heading whose
# text is all in its subsections.
README_ONLY = {"### What it looks like", "## For teams"}


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


def test_every_readme_section_is_included_in_the_site():
    """Each README heading opens a snippet section (``--8<-- [start:name]``) that a page of
    docs/ includes (``--8<-- "README.md:name"``); code blocks' comments are not headings."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    pages = "\n".join(page.read_text(encoding="utf-8") for page in (ROOT / "docs").rglob("*.md"))
    in_code, problems = False, []
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        in_code ^= line.startswith("```")
        if in_code or not line.startswith("#") or line in README_ONLY:
            continue
        section = re.fullmatch(r"<!-- --8<-- \[start:([\w-]+)\] -->", after)
        if section is None:
            problems.append(f"{line!r} opens no snippet section")
        elif f'--8<-- "README.md:{section[1]}"' not in pages:
            problems.append(f"{line!r}: no page of docs/ includes README.md:{section[1]}")
    assert not problems, problems
