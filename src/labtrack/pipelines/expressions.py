"""References (``${steps.train.model_uri}``) and conditions (``steps.evaluate.metrics.accuracy
>= 0.9``) in a pipeline file: parsed by a small grammar of their own, never by ``eval``.

A reference names a pipeline parameter (``params.n``) or something an earlier step produced:
``steps.<step>.run_id``, ``.artifact_uri``, ``.model_uri``, ``.status``, ``.metrics.<key>``,
``.params.<key>`` or ``.artifacts.<path>`` (the artifact's URI).

A condition compares references and literals (numbers, quoted strings, ``true``/``false``)
with ``== != < <= > >=``, combined by ``and``, ``or``, ``not`` and parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labtrack.errors import InvalidParameter

# What may follow ``steps.<name>.``: a leaf, or a kind with a key after a dot.
STEP_LEAVES = ("run_id", "artifact_uri", "model_uri", "status")
STEP_KEYED = ("metrics", "params", "artifacts")

_NAME = r"[A-Za-z_][A-Za-z0-9_\-]*"
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_TOKEN = re.compile(
    r"\s*(?:(?P<number>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
    r"|(?P<string>'[^']*'|\"[^\"]*\")"
    r"|(?P<op>==|!=|<=|>=|<|>|\(|\))"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_\-./]*))"
)
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Reference:
    """``params.<key>`` (step None) or ``steps.<step>.<kind>[.<key>]``."""

    step: str | None
    kind: str  # "params" for a pipeline parameter, else a STEP_LEAVES or STEP_KEYED name
    key: str = ""

    def __str__(self) -> str:
        if self.step is None:
            return f"params.{self.key}"
        return f"steps.{self.step}.{self.kind}" + (f".{self.key}" if self.key else "")


def parse_reference(text: str) -> Reference:
    """``text`` (without ``${}``) as a reference; ``InvalidParameter`` saying what is wrong."""
    text = text.strip()
    match = re.fullmatch(rf"params\.({_NAME})", text)
    if match:
        return Reference(None, "params", match.group(1))
    match = re.fullmatch(rf"steps\.({_NAME})\.([a-z_]+)(?:\.(.+))?", text)
    if match:
        step, kind, key = match.groups()
        if kind in STEP_LEAVES and key is None:
            return Reference(step, kind)
        if kind in STEP_KEYED and key:
            return Reference(step, kind, key)
    kinds = ", ".join([*STEP_LEAVES, *(f"{k}.<key>" for k in STEP_KEYED)])
    raise InvalidParameter(
        f"bad reference {text!r}: use params.<name> or steps.<step>.<what> ({kinds})"
    )


def references_in(value: Any) -> list[Reference]:
    """Every ``${...}`` reference in a parameter value (only strings hold any)."""
    if not isinstance(value, str):
        return []
    return [parse_reference(inner) for inner in _PLACEHOLDER.findall(value)]


def substitute(value: Any, lookup: Callable[[Reference], Any]) -> Any:
    """``value`` with its references replaced: a value that is one reference alone takes the
    referenced value as is (a metric stays a number); otherwise each is put in as text."""
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _PLACEHOLDER.fullmatch(value.strip())
    if whole:
        return lookup(parse_reference(whole.group(1)))
    return _PLACEHOLDER.sub(lambda m: str(lookup(parse_reference(m.group(1)))), value)


# -- conditions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A parsed ``when:``; ``evaluate(lookup)`` gives its truth."""

    text: str
    tree: tuple

    @property
    def references(self) -> list[Reference]:
        """The references the condition reads."""
        found: list[Reference] = []

        def walk(node: tuple) -> None:
            if node[0] == "ref":
                found.append(node[1])
            elif node[0] != "lit":
                for child in node[1:]:
                    if isinstance(child, tuple):
                        walk(child)

        walk(self.tree)
        return found

    def evaluate(self, lookup: Callable[[Reference], Any]) -> bool:
        """True if the condition holds with references read through ``lookup``."""
        return bool(_evaluate(self.tree, lookup))


def parse_condition(text: str) -> Condition:
    """``text`` as a condition; ``InvalidParameter`` at the first thing it cannot read."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidParameter("a condition must be a non-empty string")
    tokens = _tokens(text)
    parser = _Parser(tokens, text)
    tree = parser.expression()
    if parser.position < len(tokens):
        raise InvalidParameter(f"condition {text!r}: unexpected {tokens[parser.position][1]!r}")
    return Condition(text, tree)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InvalidParameter(
                f"condition {text!r}: cannot read {text[position:].strip()[:20]!r}"
            )
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent: or > and > not > comparison > operand."""

    def __init__(self, tokens: list[tuple[str, str]], text: str):
        self.tokens, self.text, self.position = tokens, text, 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise InvalidParameter(f"condition {self.text!r} ends too early")
        self.position += 1
        return token

    def _at_word(self, word: str) -> bool:
        return self._peek() == ("word", word)

    def expression(self) -> tuple:
        node = self._and()
        while self._at_word("or"):
            self._take()
            node = ("or", node, self._and())
        return node

    def _and(self) -> tuple:
        node = self._not()
        while self._at_word("and"):
            self._take()
            node = ("and", node, self._not())
        return node

    def _not(self) -> tuple:
        if self._at_word("not"):
            self._take()
            return ("not", self._not())
        return self._comparison()

    def _comparison(self) -> tuple:
        left = self._operand()
        token = self._peek()
        if token and token[0] == "op" and token[1] in _COMPARISONS:
            self._take()
            return ("cmp", token[1], left, self._operand())
        return left

    def _operand(self) -> tuple:
        kind, value = self._take()
        if (kind, value) == ("op", "("):
            node = self.expression()
            if self._take() != ("op", ")"):
                raise InvalidParameter(f"condition {self.text!r}: missing ')'")
            return node
        if kind == "number":
            return ("lit", float(value) if re.search(r"[.eE]", value) else int(value))
        if kind == "string":
            return ("lit", value[1:-1])
        if kind == "word" and value in ("true", "false"):
            return ("lit", value == "true")
        if kind == "word" and value not in ("and", "or", "not"):
            return ("ref", parse_reference(value))
        raise InvalidParameter(f"condition {self.text!r}: unexpected {value!r}")


def _evaluate(node: tuple, lookup: Callable[[Reference], Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ref":
        return lookup(node[1])
    if kind == "not":
        return not _evaluate(node[1], lookup)
    if kind == "and":
        return _evaluate(node[1], lookup) and _evaluate(node[2], lookup)
    if kind == "or":
        return _evaluate(node[1], lookup) or _evaluate(node[2], lookup)
    left, right = _evaluate(node[2], lookup), _evaluate(node[3], lookup)
    try:
        return _COMPARISONS[node[1]](left, right)
    except TypeError:  # a missing metric (None) or text against a number: not true
        return False
