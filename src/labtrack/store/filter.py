"""MLflow's search filter language, plus OR and parentheses, parsed into a small AST.

The one parser for every search: runs, registered models, model versions and experiments.
A ``Searchable`` names what each of them may be filtered and ordered by (``RUNS``,
``REGISTERED_MODELS``, ``MODEL_VERSIONS``, ``EXPERIMENTS``); the syntax and quoting rules are
the same for all. Pure: no SQL here (``labtrack.store.sql.filter_sql`` compiles the AST).
Grammar, with case-insensitive keywords::

    expr       := term (OR term)*
    term       := factor (AND factor)*
    factor     := '(' expr ')' | comparison
    comparison := identifier op [value]
    identifier := prefix '.' key | attribute          -- e.g. metrics.acc, params.`my lr`, status
    value      := number | 'string' | "string" | '(' string (',' string)* [','] ')'

Keys after a prefix are letters, digits and ``_./:-`` (everything after the first dot, so
``tags.mlflow.runName`` is the tag ``mlflow.runName``) or quoted with backticks or double
quotes. Inside quoted strings a backslash escapes a quote or a backslash (``'it\\'s'``) and a
doubled quote stands for itself (``'it''s'``); any other backslash is kept, so LIKE patterns
can say ``'50\\%'``. Registry and experiment searches combine comparisons with AND only, as
in MLflow.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from labtrack.entities.status import RunStatus
from labtrack.errors import InvalidFilter

METRIC, PARAM, TAG, ATTRIBUTE = "metric", "param", "tag", "attribute"

_PREFIXES = {
    "metrics": METRIC,
    "metric": METRIC,
    "params": PARAM,
    "param": PARAM,
    "parameters": PARAM,
    "parameter": PARAM,
    "tags": TAG,
    "tag": TAG,
    "attributes": ATTRIBUTE,
    "attribute": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
}
_PRINT_PREFIX = {METRIC: "metrics", PARAM: "params", TAG: "tags", ATTRIBUTE: "attributes"}

STRING_ATTRIBUTES = ("artifact_uri", "lifecycle_stage", "run_id", "run_name", "status", "user_id")
NUMERIC_ATTRIBUTES = ("end_time", "start_time")
ATTRIBUTES = tuple(sorted(STRING_ATTRIBUTES + NUMERIC_ATTRIBUTES))
# MLflow's alternate spellings ("run name" needs quoting: attributes.`Run Name`).
_ATTRIBUTE_ALIASES = {"run name": "run_name", "created": "start_time"}

NUMERIC_OPS = ("=", "!=", ">", ">=", "<", "<=")
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
NULL_OPS = ("IS NULL", "IS NOT NULL")
MAX_DEPTH = 100
# Size caps: SQL for bigger filters compiles and runs slowly (superlinear in SQLAlchemy and
# SQLite) and nears SQLite's 32766 bound-parameter limit.
MAX_COMPARISONS = 1000
MAX_IN_VALUES = 20_000

_WS = re.compile(r"\s*")
_WORD_CHARS = r"[\w./:-]"  # \w: Unicode letters and digits, as tag keys may have
_WORD = re.compile(rf"{_WORD_CHARS}+")
_SYMBOL_OP = re.compile(r"!=|>=|<=|=|>|<")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NUMBER_END = re.compile(r"(?![A-Za-z0-9_.])")
_SNIPPET = re.compile(rf"{_WORD_CHARS}{{1,30}}|\S")
# Keywords match ASCII letters in either case (no Unicode case folding, so the Kelvin sign
# is no 'K'), and end where a word does.
_KEYWORDS = {
    w: re.compile("".join(f"[{c}{c.lower()}]" for c in w) + f"(?!{_WORD_CHARS})")
    for w in ("AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL", "ASC", "DESC")
}


@dataclass(frozen=True, eq=False)
class Searchable:
    """What one kind of thing can be searched by; the filter syntax is the same for all.

    ``entities`` are the key/value prefixes filters may use (METRIC, PARAM, TAG); attributes
    are written bare or after ``attributes.``. ``integer_attributes`` (a subset of the numeric
    ones) take whole numbers only. ``aliases`` map other spellings (lower case) to attributes.
    ``order_entities`` and ``order_attributes`` are what order_by clauses may name.
    """

    name: str
    example: str
    entities: tuple[str, ...]
    string_attributes: tuple[str, ...]
    numeric_attributes: tuple[str, ...] = ()
    integer_attributes: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    order_entities: tuple[str, ...] = ()
    order_attributes: tuple[str, ...] = ()
    allow_or: bool = True

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(sorted(self.string_attributes + self.numeric_attributes))


RUNS = Searchable(
    "runs",
    "metrics.acc > 0.9, params.lr = '0.1' or status = 'FINISHED'",
    (METRIC, PARAM, TAG),
    STRING_ATTRIBUTES,
    NUMERIC_ATTRIBUTES,
    aliases=_ATTRIBUTE_ALIASES,
    order_entities=(METRIC, PARAM, TAG),
    order_attributes=ATTRIBUTES,
)
_REGISTRY_ORDER = ("name", "creation_timestamp", "last_updated_timestamp")
REGISTERED_MODELS = Searchable(
    "registered models",
    "name LIKE 'iris%' or tags.team = 'vision'",
    (TAG,),
    ("name",),
    aliases={"timestamp": "creation_timestamp"},
    order_attributes=_REGISTRY_ORDER,
    allow_or=False,
)
MODEL_VERSIONS = Searchable(
    "model versions",
    "name = 'iris', version_number >= 2 or run_id = '...'",
    (TAG,),
    ("name", "run_id", "source_path"),
    ("version_number",),
    ("version_number",),
    aliases={"timestamp": "creation_timestamp"},
    order_attributes=_REGISTRY_ORDER + ("version_number",),
    allow_or=False,
)
EXPERIMENTS = Searchable(
    "experiments",
    "name LIKE 'svm%', experiment_id IN ('1', '2') or tags.team = 'vision'",
    (TAG,),
    ("name", "experiment_id"),
    ("creation_time", "last_update_time"),
    order_attributes=("name", "experiment_id", "creation_time", "last_update_time"),
    allow_or=False,
)


@dataclass(frozen=True)
class Comparison:
    """``entity.key op value``.

    ``value`` is a float (metrics and numeric attributes such as start_time), a str, a tuple of str (IN, NOT IN)
    or None (IS NULL, IS NOT NULL).
    """

    entity: str
    key: str
    op: str
    value: float | str | tuple[str, ...] | None


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


Node = Comparison | And | Or


@dataclass(frozen=True)
class OrderBy:
    entity: str
    key: str
    ascending: bool = True


def parse_filter(text: str | None, searchable: Searchable = RUNS) -> Node | None:
    """Parse a filter on ``searchable`` into an AST; None for no filter (None, empty or blank).

    Raises InvalidFilter, naming what was expected and the 0-based position, on any error,
    including a key or attribute that ``searchable`` cannot be filtered by.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidFilter(f"a filter must be a string, got {type(text).__name__}")
    if not text.strip():
        return None
    parser = _Parser(text, searchable)
    node, _ = parser.expr()
    parser.skip_ws()
    if not parser.at_end():
        if parser.peek(")"):
            raise parser.error("unbalanced parenthesis: ')' has no matching '('")
        raise parser.unexpected("AND, OR or the end of the filter")
    return node


def parse_order_by(clause: str, searchable: Searchable = RUNS) -> OrderBy:
    """Parse one order_by clause: ``identifier [ASC|DESC]``, e.g. ``metrics.acc DESC``."""
    if not isinstance(clause, str) or not clause.strip():
        raise InvalidFilter(f"an order_by clause must be a non-empty string, got {clause!r}")
    parser = _Parser(clause, searchable, ordering=True)
    entity, key, _ = parser.identifier()
    ascending = True
    if parser.accept("DESC"):
        ascending = False
    else:
        parser.accept("ASC")
    parser.skip_ws()
    if not parser.at_end():
        raise parser.unexpected("ASC, DESC or the end of the order_by clause")
    return OrderBy(entity, key, ascending)


def allowed_ops(entity: str, key: str, searchable: Searchable = RUNS) -> tuple[str, ...]:
    """The operators MLflow allows for ``entity.key`` in a search of ``searchable``."""
    if entity == METRIC or (entity == ATTRIBUTE and key in searchable.numeric_attributes):
        return NUMERIC_OPS
    if entity in (PARAM, TAG):
        return STRING_OPS + NULL_OPS
    return STRING_OPS


def format_filter(node: Node) -> str:
    """Print an AST back as filter text that ``parse_filter`` reads as the same AST."""
    if isinstance(node, Comparison):
        return _format_comparison(node)
    if isinstance(node, (And, Or)) and node.items:
        joiner = " AND " if isinstance(node, And) else " OR "
        return joiner.join(
            f"({format_filter(item)})" if isinstance(item, (And, Or)) else format_filter(item)
            for item in node.items
        )
    raise ValueError(f"cannot format {node!r}")


def _format_comparison(c: Comparison) -> str:
    key = c.key
    if not _WORD.fullmatch(key):
        if "`" not in key:
            key = f"`{key}`"
        else:
            key = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    ident = f"{_PRINT_PREFIX[c.entity]}.{key}"
    if c.op in NULL_OPS:
        return f"{ident} {c.op}"
    if isinstance(c.value, tuple):
        value = "(" + ", ".join(_quote(v) for v in c.value) + ")"
    elif isinstance(c.value, str):
        value = _quote(c.value)
    elif math.isinf(c.value):
        value = "1e999" if c.value > 0 else "-1e999"
    elif math.isnan(c.value):
        raise ValueError("NaN cannot be written in a filter")
    else:
        value = repr(float(c.value))
    return f"{ident} {c.op} {value}"


def _quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _describe(entity: str, key: str) -> str:
    return f"attribute '{key}'" if entity == ATTRIBUTE else f"{entity}s"


def _one_of(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


class _Parser:
    """Recursive descent over the raw text; positions are 0-based offsets into it."""

    def __init__(self, text: str, searchable: Searchable, ordering: bool = False):
        self.text = text
        self.searchable = searchable
        self.ordering = ordering  # an order_by clause: other keys and attributes are allowed
        # Same length as text, so the caret InvalidFilter draws stays under the right column.
        self.display = re.sub(r"\s", " ", text)
        self.pos = 0
        self.parens = 0
        self.comparisons = 0
        self.in_values = 0

    def error(self, message: str, position: int | None = None) -> InvalidFilter:
        return InvalidFilter(message, self.display, self.pos if position is None else position)

    def unexpected(self, expected: str) -> InvalidFilter:
        if self.at_end():
            return self.error(f"expected {expected} but the filter ended")
        found = _SNIPPET.match(self.text, self.pos).group()
        return self.error(f"unexpected {found!r}; expected {expected}")

    def skip_ws(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self, chars: str) -> bool:
        return not self.at_end() and self.text[self.pos] in chars

    def accept(self, keyword: str) -> bool:
        self.skip_ws()
        match = _KEYWORDS[keyword].match(self.text, self.pos)
        if match:
            self.pos = match.end()
        return bool(match)

    # expr/term/factor return (node, depth): depth counts nested AND/OR nodes, which is what
    # costs stack in SQLAlchemy's recursive compiler; MAX_DEPTH keeps it well under the limit.

    def expr(self) -> tuple[Node, int]:
        return self.operands(Or, "OR", self.term)

    def term(self) -> tuple[Node, int]:
        return self.operands(And, "AND", self.factor)

    def operands(self, cls, keyword: str, operand) -> tuple[Node, int]:
        self.skip_ws()
        start = self.pos
        items = [operand()]
        while self.accept(keyword):
            if cls is Or and not self.searchable.allow_or:
                raise self.error(
                    f"searches of {self.searchable.name} combine comparisons with AND "
                    "only; OR is not supported",
                    self.pos - len(keyword),
                )
            items.append(operand())
        if len(items) == 1:
            return items[0]
        depth = 1 + max(depth for _, depth in items)
        if depth > MAX_DEPTH:
            raise self.error(f"filter is nested too deeply (more than {MAX_DEPTH} levels)", start)
        return cls(tuple(node for node, _ in items)), depth

    def factor(self) -> tuple[Node, int]:
        self.skip_ws()
        if not self.peek("("):
            return self.comparison(), 0
        opening = self.pos
        self.parens += 1
        if self.parens > MAX_DEPTH:  # refuse before Python's recursion limit does
            raise self.error(f"filter is nested too deeply (more than {MAX_DEPTH} levels)")
        self.pos += 1
        result = self.expr()
        self.skip_ws()
        if self.at_end():
            raise self.error("unbalanced parenthesis: this '(' is never closed", opening)
        if not self.peek(")"):
            raise self.unexpected("AND, OR or ')'")
        self.pos += 1
        self.parens -= 1
        return result

    def comparison(self) -> Comparison:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise self.error(f"filter has too many comparisons (more than {MAX_COMPARISONS})")
        entity, key, label = self.identifier()
        self.skip_ws()
        op_pos = self.pos
        op = self.operator(label)
        allowed = allowed_ops(entity, key, self.searchable)
        if op not in allowed:
            raise self.error(
                f"{_describe(entity, key)} can only be compared with {', '.join(allowed)}; "
                f"{op} is not supported",
                op_pos,
            )
        return Comparison(entity, key, op, self.value(entity, key, op, label))

    def identifier(self) -> tuple[str, str, str]:
        """Read ``prefix.key`` or a bare attribute; returns (entity, key, text as written)."""
        self.skip_ws()
        start = self.pos
        if self.peek("`"):  # a bare quoted attribute name, e.g. `Run Name`
            return ATTRIBUTE, self.attribute(self.quoted_key(), start), self.text[start : self.pos]
        match = _WORD.match(self.text, self.pos)
        if not match:
            raise self.unexpected(f"a comparison such as {self.searchable.example}")
        word = match.group()
        self.pos = match.end()
        prefix, dot, key = word.partition(".")
        if not dot:
            return ATTRIBUTE, self.attribute(word, start, bare=True), word
        entity = _PREFIXES.get(prefix.lower())
        allowed = self.searchable.order_entities if self.ordering else self.searchable.entities
        if entity is None:
            raise self.error(
                f"unknown entity {prefix!r} in {word!r}; expected one of {self.prefixes(allowed)}",
                start,
            )
        if entity != ATTRIBUTE and entity not in allowed:
            verb = "ordered" if self.ordering else "filtered"
            raise self.error(
                f"{self.searchable.name} cannot be {verb} by {_PRINT_PREFIX[entity]}; "
                f"expected {self.prefixes(allowed)}",
                start,
            )
        key_pos = start + len(prefix) + 1
        if not key:
            if not self.peek('`"'):
                raise self.error(f"expected a key after {word!r}")
            key = self.quoted_key()
        if entity == ATTRIBUTE:
            key = self.attribute(key, key_pos)
        return entity, key, self.text[start : self.pos]

    def prefixes(self, entities: tuple[str, ...]) -> str:
        return _one_of([f"{_PRINT_PREFIX[e]}." for e in entities + (ATTRIBUTE,)])

    def attribute(self, name: str, position: int, bare: bool = False) -> str:
        searchable = self.searchable
        lowered = name.lower()
        lowered = searchable.aliases.get(lowered, lowered)
        known = searchable.order_attributes if self.ordering else searchable.attributes
        if lowered in known:
            return lowered
        entities = searchable.order_entities if self.ordering else searchable.entities
        where = " in order_by" if self.ordering else ""
        hint = ""
        if bare and entities:
            hint = f", or prefix a key with {_one_of([f'{_PRINT_PREFIX[e]}.' for e in entities])}"
        raise self.error(
            f"unknown attribute {name!r}{where}; expected one of {', '.join(known)} "
            f"(the attributes of {searchable.name}{hint})",
            position,
        )

    def quoted_key(self) -> str:
        start = self.pos
        if self.peek('"'):
            key = self.string()
        else:
            end = self.text.find("`", start + 1)
            if end < 0:
                raise self.error("unterminated quoted key: no closing '`'", start)
            key, self.pos = self.text[start + 1 : end], end + 1
        if not key:
            raise self.error("empty key", start)
        return key

    def string(self) -> str:
        """Read a quoted string at the current position (the caller checked the quote)."""
        text, start = self.text, self.pos
        quote, i, out = text[start], start + 1, []
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text) and text[i + 1] in "\\'\"":
                out.append(text[i + 1])
                i += 2
            elif char == quote and i + 1 < len(text) and text[i + 1] == quote:
                out.append(quote)  # SQL-style doubled quote
                i += 2
            elif char == quote:
                self.pos = i + 1
                return "".join(out)
            else:
                out.append(char)
                i += 1
        raise self.error(f"unterminated string: no closing {quote} for this quote", start)

    def operator(self, label: str) -> str:
        match = _SYMBOL_OP.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return match.group()
        for word in ("LIKE", "ILIKE", "IN"):
            if self.accept(word):
                return word
        if self.accept("NOT"):
            if self.accept("IN"):
                return "NOT IN"
            raise self.unexpected("IN after NOT")
        if self.accept("IS"):
            if self.accept("NULL"):
                return "IS NULL"
            if self.accept("NOT") and self.accept("NULL"):
                return "IS NOT NULL"
            raise self.unexpected("NULL or NOT NULL after IS")
        found = (
            "the filter ended"
            if self.at_end()
            else f"found {_SNIPPET.match(self.text, self.pos).group()!r}"
        )
        raise self.error(
            f"expected a comparison operator after {label!r} (=, !=, >, >=, <, <=, "
            f"LIKE, ILIKE, IN, NOT IN, IS NULL or IS NOT NULL); {found}"
        )

    def value(self, entity: str, key: str, op: str, label: str):
        if op in NULL_OPS:
            return None
        self.skip_ws()
        start = self.pos
        is_status = entity == ATTRIBUTE and key == "status" and op not in ("LIKE", "ILIKE")
        if op in ("IN", "NOT IN"):
            values = self.in_list()
            return tuple(self.status(v, p) if is_status else v for v, p in values)
        numeric = allowed_ops(entity, key, self.searchable) == NUMERIC_OPS
        integer = entity == ATTRIBUTE and key in self.searchable.integer_attributes
        numbers = "integers" if integer else "numbers"
        if self.peek("'\""):
            text = self.string()
            if numeric:
                raise self.error(
                    f"{_describe(entity, key)} can only be compared with {numbers}, "
                    f"got the string {text!r}",
                    start,
                )
            return self.status(text, start) if is_status else text
        match = _NUMBER.match(self.text, self.pos)
        if match:
            if not _NUMBER_END.match(self.text, match.end()):
                end = _SNIPPET.match(self.text, match.end()).end()
                raise self.error(f"invalid number {self.text[start:end]!r}", start)
            if not numeric:
                raise self.error(
                    f"{_describe(entity, key)} can only be compared with quoted "
                    f"strings, e.g. {label} {op} '{match.group()}'",
                    start,
                )
            number = float(match.group())
            if integer and not number.is_integer():
                raise self.error(
                    f"{_describe(entity, key)} can only be compared with integers, "
                    f"got {match.group()}",
                    start,
                )
            self.pos = match.end()
            return number
        if self.accept("NULL"):
            self.pos = start
            raise self.error(f"use {label} IS NULL or IS NOT NULL to test for a missing value")
        kind = "a number" if numeric else "a quoted string"
        raise self.unexpected(f"{kind} after {label} {op}")

    def in_list(self) -> list[tuple[str, int]]:
        """Read ``('a', 'b', ...)``; returns (value, position) pairs."""
        opening = self.pos
        if not self.peek("("):
            raise self.unexpected("'(' and a list of quoted strings after IN")
        self.pos += 1
        values = []
        while True:
            self.skip_ws()
            if self.peek(")"):
                if not values:
                    raise self.error("an IN list must not be empty")
                self.pos += 1  # a trailing comma: ('a', 'b',)
                return values
            expected = "a quoted string"
            if not self.peek("'\""):
                break
            self.in_values += 1
            if self.in_values > MAX_IN_VALUES:
                raise self.error(f"filter has too many IN values (more than {MAX_IN_VALUES})")
            position = self.pos
            values.append((self.string(), position))
            self.skip_ws()
            expected = "',' or ')'"
            if self.peek(")"):
                self.pos += 1
                return values
            if not self.peek(","):
                break
            self.pos += 1
        if self.at_end():
            raise self.error("unbalanced parenthesis: this IN list is never closed", opening)
        raise self.unexpected(f"{expected} in the IN list")

    def status(self, value: str, position: int) -> str:
        # Case-insensitive, stored upper case: 'finished' means FINISHED.
        if value.upper() in RunStatus.ALL:
            return value.upper()
        raise self.error(
            f"unknown run status {value!r}; expected one of {', '.join(RunStatus.ALL)}", position
        )
