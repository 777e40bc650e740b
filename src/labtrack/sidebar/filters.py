"""Filter strings built from what a person typed, for ``search_runs`` and the registry's
searches. The text only ever becomes a quoted value, escaped: it cannot change the filter."""

from __future__ import annotations


def quoted(text: str) -> str:
    """``text`` as a filter string literal (a backslash escapes a quote or a backslash)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def contains(field: str, text: str) -> str:
    """``field`` contains ``text`` literally, in any case: its LIKE wildcards are escaped."""
    pattern = "".join("\\" + char if char in "\\%_" else char for char in text)
    return f"{field} ILIKE {quoted('%' + pattern + '%')}"


def equals(field: str, text: str) -> str:
    return f"{field} = {quoted(text)}"
