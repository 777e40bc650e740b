"""The registry's search filters: MLflow's small language for models and versions, parsed.

Pure: no SQL here (``labtrack.store.sql.registry_search`` compiles the result). Grammar,
with case-insensitive keywords::

    filter     := comparison (AND comparison)*
    comparison := key op value
    key        := name | run_id | source_path | version_number | tags.<key>
    value      := 'string' | "string" | integer | ('string', ...)

Models can be filtered by ``name`` and tags; versions also by ``run_id``, ``source_path``
and ``version_number``. As in the run filter, a backslash escapes a quote or a backslash and a
doubled quote stands for itself.
"""

from __future__ import annotations

import re

from labtrack.errors import InvalidFilter
from labtrack.store.filter import ATTRIBUTE, NUMERIC_OPS, STRING_OPS, TAG, Comparison, OrderBy

MODEL_KEYS = ("name",)
VERSION_KEYS = ("name", "run_id", "source_path", "version_number")
NUMERIC_KEYS = ("version_number",)
MODEL_ORDER_KEYS = ("name", "creation_timestamp", "last_updated_timestamp")
VERSION_ORDER_KEYS = MODEL_ORDER_KEYS + ("version_number",)

_STRING = r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*\""""
# Commas required between items: with an optional comma, 'a''a''a'... splits into strings in
# exponentially many ways, and a filter that does not match took minutes to refuse.
# (Empty parentheses match, so that _comparison can say the list is empty.)
_LIST = rf"\(\s*(?:(?:{_STRING})(?:\s*,\s*(?:{_STRING}))*\s*,?\s*)?\)"
_COMPARISON = re.compile(
    rf"""\s*
    (?P<key>tags?\.(?:`[^`]+`|[\w.\-/:]+)|[A-Za-z_]+)\s*
    (?P<op>!=|>=|<=|=|>|<|NOT\s+IN\b|IN\b|ILIKE\b|LIKE\b)\s*
    (?P<value>{_STRING}|{_LIST}|[+-]?[0-9]+(?![\w.]))\s*""",
    re.VERBOSE | re.IGNORECASE,
)
_AND = re.compile(r"AND\b\s*", re.IGNORECASE)
_QUOTED = re.compile(_STRING)
_ORDER = re.compile(r"\s*(\w+)(?:\s+(ASC|DESC))?\s*", re.IGNORECASE)


def parse_registry_filter(text: str | None, keys: tuple[str, ...]) -> list[Comparison]:
    """The comparisons of a filter (all must hold); ``keys`` are the attributes allowed.

    ``parse_registry_filter("name LIKE 'iris%' and tags.team = 'vision'", VERSION_KEYS)``
    gives ``[Comparison(ATTRIBUTE, "name", "LIKE", "iris%"), Comparison(TAG, "team", "=", "vision")]``.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return []
    if not isinstance(text, str):
        raise InvalidFilter(f"a filter must be a string, got {type(text).__name__}")
    comparisons, position = [], 0
    while True:
        match = _COMPARISON.match(text, position)
        if match is None:
            raise InvalidFilter(
                f"expected a comparison such as {keys[0]} = '...' or tags.<key> = '...'",
                text, _skip_spaces(text, position),
            )
        comparisons.append(_comparison(match, keys, text))
        position = match.end()
        if position == len(text):
            return comparisons
        and_match = _AND.match(text, position)
        if and_match is None:
            raise InvalidFilter("expected AND or the end of the filter (registry searches "
                                "combine comparisons with AND only)", text, position)
        position = and_match.end()


def parse_registry_order_by(clauses: list[str] | None, keys: tuple[str, ...]) -> list[OrderBy]:
    """``["name ASC", "version_number DESC"]`` -> OrderBy items; ``timestamp`` means
    ``creation_timestamp``, as in MLflow."""
    orders = []
    for clause in clauses or []:
        match = _ORDER.fullmatch(clause) if isinstance(clause, str) else None
        key = match and {"timestamp": "creation_timestamp"}.get(match.group(1).lower(), match.group(1).lower())
        if not match or key not in keys:
            raise InvalidFilter(f"invalid order_by clause {clause!r}: use one of {', '.join(keys)}, "
                                "optionally followed by ASC or DESC")
        orders.append(OrderBy(ATTRIBUTE, key, (match.group(2) or "ASC").upper() == "ASC"))
    return orders


def _comparison(match: re.Match, keys: tuple[str, ...], text: str) -> Comparison:
    key, value_text = match.group("key"), match.group("value")
    op = " ".join(match.group("op").upper().split())
    if "." in key:
        entity, key = TAG, key.split(".", 1)[1].strip().strip("`")
    elif key.lower() in keys:
        entity, key = ATTRIBUTE, key.lower()
    else:
        raise InvalidFilter(f"unknown key {key!r}; expected one of {', '.join(keys)} or tags.<key>",
                            text, match.start("key"))
    allowed = NUMERIC_OPS if key in NUMERIC_KEYS and entity == ATTRIBUTE else STRING_OPS
    if op not in allowed:
        raise InvalidFilter(f"{key} can only be compared with {', '.join(allowed)}; {op} is not supported",
                            text, match.start("op"))
    numeric = allowed == NUMERIC_OPS
    if value_text.startswith("("):
        if op not in ("IN", "NOT IN"):
            raise InvalidFilter(f"a list of values needs IN or NOT IN, not {op}", text, match.start("value"))
        values = tuple(_unquote(item) for item in _QUOTED.findall(value_text))
        if not values:
            raise InvalidFilter("an IN list must not be empty", text, match.start("value"))
        return Comparison(entity, key, op, values)
    if op in ("IN", "NOT IN"):
        raise InvalidFilter(f"{op} needs a list of quoted strings, e.g. ('a', 'b')", text, match.start("value"))
    is_number = value_text[0] not in "'\""
    if is_number != numeric:
        expected = "an integer" if numeric else "a quoted string"
        raise InvalidFilter(f"{key} must be compared with {expected}", text, match.start("value"))
    return Comparison(entity, key, op, int(value_text) if numeric else _unquote(value_text))


def _unquote(quoted: str) -> str:
    quote, body = quoted[0], quoted[1:-1]
    return re.sub(rf"\\([\\'\"])|{quote}{quote}", lambda m: m.group(1) or quote, body)


def _skip_spaces(text: str, position: int) -> int:
    return len(text) - len(text[position:].lstrip())
