"""A griffe extension for the API reference: docstrings' ``>>>`` examples become Python code
blocks (Markdown would read the prompts as nested quotes), without their ``# doctest:``
directives, which are for the test runner, not the reader."""

from __future__ import annotations

import re

import griffe

_PROMPT = re.compile(r"^\s*>>>( |$)")
_DIRECTIVE = re.compile(r"\s*# doctest:.*$")


def fence_examples(text: str) -> str:
    """``text`` with each run of doctest lines (a ``>>>`` line and the non-blank lines after
    it: continuations and expected output) put in a ```` ```pycon ```` fence."""
    out: list[str] = []
    in_example = False
    for line in text.splitlines():
        if not in_example and _PROMPT.match(line):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
            in_example = True
        elif in_example and not line.strip():
            out.append(f"{indent}```")
            in_example = False
        out.append(_DIRECTIVE.sub("", line) if in_example else line)
    if in_example:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the examples of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_examples(obj.docstring.value)
