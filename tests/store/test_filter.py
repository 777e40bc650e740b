"""The filter parser: the AST each form produces, error messages and positions, and fuzzing."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labtrack.errors import InvalidFilter
from labtrack.store.filter import (
    MAX_COMPARISONS,
    MAX_DEPTH,
    MAX_IN_VALUES,
    And,
    Comparison,
    Or,
    OrderBy,
    format_filter,
    parse_filter,
    parse_order_by,
)


def M(key, op, value):
    return Comparison("metric", key, op, value)


def P(key, op, value=None):
    return Comparison("param", key, op, value)


def T(key, op, value=None):
    return Comparison("tag", key, op, value)


def A(key, op, value):
    return Comparison("attribute", key, op, value)


PARSES = [
    # metrics: every numeric operator, number forms, prefixes, keys with / . -
    ("metrics.acc > 0.9", M("acc", ">", 0.9)),
    ("metrics.acc>=1", M("acc", ">=", 1.0)),
    ("metric.acc < -2.5e-3", M("acc", "<", -0.0025)),
    ("metrics.acc <= +3E2", M("acc", "<=", 300.0)),
    ("metrics.acc = .5", M("acc", "=", 0.5)),
    ("metrics.acc != 7.", M("acc", "!=", 7.0)),
    ("metrics.train/loss < 1", M("train/loss", "<", 1.0)),
    ("metrics.val.loss-x_2 < 1", M("val.loss-x_2", "<", 1.0)),
    ("metrics.`val acc` > 0", M("val acc", ">", 0.0)),
    ('metrics."val acc" > 0', M("val acc", ">", 0.0)),
    ("METRICS.Acc > 0", M("Acc", ">", 0.0)),
    ("metrics.acc > 1e999", M("acc", ">", math.inf)),
    # params and tags: string operators, quotes, escapes, IS [NOT] NULL
    ("params.lr = '0.1'", P("lr", "=", "0.1")),
    ('param.lr != "0.1"', P("lr", "!=", "0.1")),
    ("parameters.opt LIKE 'ad%'", P("opt", "LIKE", "ad%")),
    ("parameter.opt ilike '%AM'", P("opt", "ILIKE", "%AM")),
    ("params.opt IN ('adam', \"sgd\")", P("opt", "IN", ("adam", "sgd"))),
    ("params.opt not  in ('adam')", P("opt", "NOT IN", ("adam",))),
    ("params.opt IN('a','b' , 'c')", P("opt", "IN", ("a", "b", "c"))),
    ("params.`my lr` IS NULL", P("my lr", "IS NULL")),
    ('params."a b" is not null', P("a b", "IS NOT NULL")),
    ("params.x = 'it\\'s'", P("x", "=", "it's")),
    ("params.x = 'it''s'", P("x", "=", "it's")),
    ('params.x = "say \\"hi\\""', P("x", "=", 'say "hi"')),
    ('params.x = "it\'s"', P("x", "=", "it's")),
    ("params.x = 'back\\\\slash'", P("x", "=", "back\\slash")),
    ("params.x LIKE '50\\%'", P("x", "LIKE", "50\\%")),
    ("params.x = ''", P("x", "=", "")),
    ("params.x = 'ünï ☃'", P("x", "=", "ünï ☃")),
    ("tags.mlflow.runName = 'alpha'", T("mlflow.runName", "=", "alpha")),
    ("tag.team != 'x'", T("team", "!=", "x")),
    ('params."we\\"ird`key" = \'v\'', P('we"ird`key', "=", "v")),
    # attributes: prefixed, bare, aliases, case-insensitive, status normalized
    ("attributes.status = 'FINISHED'", A("status", "=", "FINISHED")),
    ("status = 'finished'", A("status", "=", "FINISHED")),
    ("status IN ('running', 'KILLED')", A("status", "IN", ("RUNNING", "KILLED"))),
    ("status LIKE 'FIN%'", A("status", "LIKE", "FIN%")),
    ("attribute.run_name = 'r'", A("run_name", "=", "r")),
    ("run_name ILIKE '%r%'", A("run_name", "ILIKE", "%r%")),
    ("attr.run_id IN ('a1', 'b2')", A("run_id", "IN", ("a1", "b2"))),
    ("run.user_id = 'me'", A("user_id", "=", "me")),
    ("artifact_uri LIKE 'file:%'", A("artifact_uri", "LIKE", "file:%")),
    ("lifecycle_stage = 'active'", A("lifecycle_stage", "=", "active")),
    ("start_time >= 1700000000000", A("start_time", ">=", 1700000000000.0)),
    ("attributes.end_time < 5", A("end_time", "<", 5.0)),
    ("Start_Time > 1", A("start_time", ">", 1.0)),
    ("attributes.`Run Name` = 'x'", A("run_name", "=", "x")),
    ("`run name` = 'x'", A("run_name", "=", "x")),
    ("attributes.created > 0", A("start_time", ">", 0.0)),
    # AND / OR precedence, parentheses, keywords in any case, whitespace
    (
        "metrics.a > 1 AND params.b = 'x'",
        And((M("a", ">", 1.0), P("b", "=", "x"))),
    ),
    (
        "metrics.a > 1 or metrics.b > 2 and metrics.c > 3",
        Or((M("a", ">", 1.0), And((M("b", ">", 2.0), M("c", ">", 3.0))))),
    ),
    (
        "metrics.a > 1 AND metrics.b > 2 Or metrics.c > 3",
        Or((And((M("a", ">", 1.0), M("b", ">", 2.0))), M("c", ">", 3.0))),
    ),
    (
        "(metrics.a > 1 OR metrics.b > 2) AND metrics.c > 3",
        And((Or((M("a", ">", 1.0), M("b", ">", 2.0))), M("c", ">", 3.0))),
    ),
    (
        "metrics.a > 1 AND metrics.b > 2 AND metrics.c > 3",
        And((M("a", ">", 1.0), M("b", ">", 2.0), M("c", ">", 3.0))),
    ),
    (
        "(metrics.a > 1 AND metrics.b > 2) AND metrics.c > 3",
        And((And((M("a", ">", 1.0), M("b", ">", 2.0))), M("c", ">", 3.0))),
    ),
    ("((( metrics.a > 1 )))", M("a", ">", 1.0)),
    (
        "\n\tparams.a='x'\nAND\ttags.b LIKE'y%'  ",
        And((P("a", "=", "x"), T("b", "LIKE", "y%"))),
    ),
    (
        "params.a = 'x' OR(params.b = 'y')",
        Or((P("a", "=", "x"), P("b", "=", "y"))),
    ),
    # keyword-looking strings and keys are data
    ("params.and = 'OR'", P("and", "=", "OR")),
    ("tags.x = 'a AND b'", T("x", "=", "a AND b")),
]


@pytest.mark.parametrize(("text", "expected"), PARSES, ids=[t for t, _ in PARSES])
def test_parses(text, expected):
    assert parse_filter(text) == expected


@pytest.mark.parametrize(("text", "expected"), PARSES, ids=[t for t, _ in PARSES])
def test_format_round_trips(text, expected):
    assert parse_filter(format_filter(expected)) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t "])
def test_no_filter(text):
    assert parse_filter(text) is None


ERRORS = [
    # (text, fragment of the message, position)
    ("metrics.acc", "expected a comparison operator after 'metrics.acc'", 11),
    ("metrics.acc ~ 1", "expected a comparison operator after 'metrics.acc'", 12),
    ("metrics.acc = 'x'", "metrics can only be compared with numbers", 14),
    ("metrics.acc LIKE '%'", "metrics can only be compared with =, !=, >, >=, <, <=", 12),
    ("metrics.acc IS NULL", "metrics can only be compared with", 12),
    ("params.lr = 0.1", "params can only be compared with quoted strings", 12),
    ("params.lr > '1'", "params can only be compared with", 10),
    ("tags.t < 'a'", "tags can only be compared with", 7),
    ("start_time = '1'", "attribute 'start_time' can only be compared with numbers", 13),
    ("start_time LIKE '1%'", "attribute 'start_time' can only be compared with", 11),
    ("run_name > 'a'", "attribute 'run_name' can only be compared with", 9),
    ("run_name IS NULL", "attribute 'run_name' can only be compared with", 9),
    ("attributes.foo = 'x'", "unknown attribute 'foo'; expected one of artifact_uri", 11),
    ("foo = 'x'", "unknown attribute 'foo'; expected one of", 0),
    ("metricz.acc > 1", "unknown entity 'metricz'", 0),
    ("status = 'DONE'", "unknown run status 'DONE'; expected one of RUNNING", 9),
    ("status IN ('RUNNING', 'nope')", "unknown run status 'nope'", 22),
    ("params.x = 'abc", "unterminated string", 11),
    ('params.x = "abc', "unterminated string", 11),
    ("params.x = 'it\\'", "unterminated string", 11),
    ("params.`abc = 'x'", "unterminated quoted key", 7),
    ("params.`` = 'x'", "empty key", 7),
    ("metrics. acc > 1", "expected a key after 'metrics.'", 8),
    ("(metrics.a > 1", "unbalanced parenthesis", 0),
    ("metrics.a > 1)", "unbalanced parenthesis: ')' has no matching '('", 13),
    ("(metrics.a > 1))", "unbalanced parenthesis", 15),
    ("()", "expected a comparison", 1),
    ("metrics.a > 1 metrics.b > 2", "expected AND, OR or the end of the filter", 14),
    ("(metrics.a > 1 metrics.b > 2)", "expected AND, OR or ')'", 15),
    ("metrics.a > 1 AND", "but the filter ended", 17),
    ("metrics.a > 1 AND OR metrics.b > 1", "unknown attribute 'OR'", 18),
    ("AND metrics.a > 1", "unknown attribute 'AND'", 0),
    ("metrics.a >", "expected a number after metrics.a > but the filter ended", 11),
    ("metrics.a > 1.2.3", "invalid number '1.2.3'", 12),
    ("metrics.a > 1AND metrics.b > 1", "invalid number '1AND'", 12),
    ("metrics.a > abc", "expected a number", 12),
    ("params.a = null", "use params.a IS NULL or IS NOT NULL", 11),
    ("params.a IS 'x'", "expected NULL or NOT NULL after IS", 12),
    ("params.a IS NOT 'x'", "expected NULL or NOT NULL after IS", 16),
    ("params.a NOT LIKE 'x'", "expected IN after NOT", 13),
    ("params.a IN 'x'", "expected '(' and a list of quoted strings after IN", 12),
    ("params.a IN ()", "an IN list must not be empty", 13),
    ("params.a IN ('x' 'y')", "expected ',' or ')' in the IN list", 17),
    ("params.a IN ('x', 1)", "expected a quoted string in the IN list", 18),
    ("params.a IN ('x',", "unbalanced parenthesis: this IN list is never closed", 12),
    ("'x' = params.a", "expected a comparison such as metrics.acc > 0.9", 0),
    ("= 1", "expected a comparison", 0),
    ("NOT metrics.a > 1", "unknown attribute 'NOT'", 0),
]


@pytest.mark.parametrize(("text", "fragment", "position"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(text, fragment, position):
    with pytest.raises(InvalidFilter) as info:
        parse_filter(text)
    message = str(info.value)
    assert fragment in message
    assert info.value.position == position
    assert f"(at position {position})" in message
    # The caret line points at the position under the echoed text.
    lines = message.splitlines()
    assert lines[-1].index("^") - 2 == position


def test_error_caret_stays_aligned_with_newlines_in_the_text():
    with pytest.raises(InvalidFilter) as info:
        parse_filter("metrics.a > 1\nAND\tfoo = 'x'")
    lines = str(info.value).splitlines()
    assert info.value.position == 18
    assert lines[-2][2 + 18 :].startswith("foo")
    assert lines[-1].index("^") == 2 + 18


def test_non_string_filter_is_invalid():
    with pytest.raises(InvalidFilter):
        parse_filter(42)  # type: ignore[arg-type]


def _nested(depth: int) -> str:
    text = "metrics.a > 1"
    for i in range(depth):
        text = f"params.x = 'a' {'AND' if i % 2 else 'OR'} ({text})"
    return text


def test_nesting_up_to_the_limit_parses():
    node = parse_filter(_nested(MAX_DEPTH))
    depth = 0
    while not isinstance(node, Comparison):
        node = node.items[-1]
        depth += 1
    assert depth == MAX_DEPTH
    assert parse_filter("(" * MAX_DEPTH + "metrics.a > 1" + ")" * MAX_DEPTH) == M("a", ">", 1.0)


@pytest.mark.parametrize(
    "text",
    [
        _nested(MAX_DEPTH + 1),
        "(" * (MAX_DEPTH + 1) + "metrics.a > 1" + ")" * (MAX_DEPTH + 1),
        "(" * 100_000,
        "(" * 100_000 + "metrics.a > 1" + ")" * 100_000,
        # AND inside OR needs no parentheses, so 51 levels of them nest 102 AND/OR nodes.
        "metrics.a > 1" + " OR metrics.a > 1 AND (metrics.a > 1" * 51 + ")" * 51,
    ],
    ids=["alternating", "parens", "open-only", "balanced", "and-or-pairs"],
)
def test_too_deep_nesting_is_an_invalid_filter_not_a_recursion_error(text):
    with pytest.raises(InvalidFilter, match="nested too deeply"):
        parse_filter(text)


def test_long_flat_chains_do_not_recurse():
    node = parse_filter(" OR ".join(["metrics.a > 1"] * MAX_COMPARISONS))
    assert isinstance(node, Or) and len(node.items) == MAX_COMPARISONS


def test_too_many_comparisons_or_in_values_are_invalid_filters():
    text = " AND ".join(["metrics.a > 1"] * (MAX_COMPARISONS + 1))
    with pytest.raises(InvalidFilter, match="too many comparisons") as info:
        parse_filter(text)
    assert info.value.position == text.rindex("metrics.a")
    values = ", ".join(["'x'"] * (MAX_IN_VALUES // 2))
    with pytest.raises(InvalidFilter, match="too many IN values"):
        parse_filter(f"params.a IN ({values}, 'y') OR tags.b NOT IN ({values})")


ORDER_BYS = [
    ("metrics.acc DESC", OrderBy("metric", "acc", False)),
    ("metrics.acc", OrderBy("metric", "acc", True)),
    ("metrics.train/loss asc", OrderBy("metric", "train/loss", True)),
    ("attributes.start_time", OrderBy("attribute", "start_time", True)),
    ("params.`my lr` asc", OrderBy("param", "my lr", True)),
    ("tags.mlflow.runName desc", OrderBy("tag", "mlflow.runName", False)),
    ("run_name", OrderBy("attribute", "run_name", True)),
    ("  end_time   DESC  ", OrderBy("attribute", "end_time", False)),
    ("`Run Name` DESC", OrderBy("attribute", "run_name", False)),
]


@pytest.mark.parametrize(("clause", "expected"), ORDER_BYS, ids=[c for c, _ in ORDER_BYS])
def test_parse_order_by(clause, expected):
    assert parse_order_by(clause) == expected


@pytest.mark.parametrize(
    ("clause", "fragment"),
    [
        ("", "non-empty"),
        ("metrics.acc DESCENDING", "expected ASC, DESC or the end"),
        ("metrics.acc DESC ASC", "expected ASC, DESC or the end"),
        ("foo", "unknown attribute 'foo'"),
        ("metrics.", "expected a key after 'metrics.'"),
        ("metrics.acc > 1", "expected ASC, DESC or the end"),
    ],
)
def test_parse_order_by_errors(clause, fragment):
    with pytest.raises(InvalidFilter, match=fragment):
        parse_order_by(clause)


# --- fuzzing ----------------------------------------------------------------------------

FRAGMENTS = [
    "metrics.acc",
    "params.lr",
    "tags.t",
    "attributes.status",
    "status",
    "run_name",
    "start_time",
    "metrics.",
    "params.`",
    "`",
    '"',
    "'",
    "\\",
    "(",
    ")",
    ",",
    " ",
    "\n",
    "=",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "LIKE",
    "ILIKE",
    "IN",
    "NOT",
    "IS",
    "NULL",
    "AND",
    "OR",
    "and",
    "or",
    "1",
    "-2.5",
    "1e5",
    ".",
    "'x'",
    '"y"',
    "'RUNNING'",
    "%",
    "_",
    "☃",
    "foo",
]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)))
def test_arbitrary_text_parses_or_raises_invalid_filter(text):
    try:
        node = parse_filter(text)
    except InvalidFilter as exc:
        assert exc.position is not None and 0 <= exc.position <= len(text)
        return
    if node is not None:  # whatever parses prints back to the same AST
        assert parse_filter(format_filter(node)) == node


@settings(max_examples=200)
@given(st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join)))
def test_arbitrary_order_by_parses_or_raises_invalid_filter(text):
    try:
        parse_order_by(text)
    except InvalidFilter:
        pass


# A generator of valid filter text from the grammar, paired with the AST it must parse to.
# Syntax varies freely (prefix aliases, keyword case, quoting, whitespace, redundant parens).

_spaces = st.sampled_from([" ", "  ", "\t", "\n", " \n "])
_maybe_space = st.sampled_from(["", " ", "\t"])
_KEY_CHARS = "abcxyzABCXYZ0123456789_./-"
_unquoted_key = st.text(alphabet=_KEY_CHARS, min_size=1, max_size=12)
_any_key = st.text(min_size=1, max_size=12)
_strings = st.text(max_size=12)


def _case(draw, word: str) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in word)


def _quote_string(draw, value: str) -> str:
    quote = draw(st.sampled_from("'\""))
    other = "'" if quote == '"' else '"'
    body = value.replace("\\", "\\\\")  # \\ reads as one backslash
    if draw(st.booleans()):
        body = body.replace(quote, "\\" + quote)
    else:
        body = body.replace(quote, quote * 2)
    if draw(st.booleans()):
        body = body.replace(other, "\\" + other)  # an escaped other quote is still that quote
    return quote + body + quote


@st.composite
def _key(draw, value):
    if _unquoted_key_ok(value) and draw(st.booleans()):
        return value
    if "`" not in value and draw(st.booleans()):
        return f"`{value}`"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquoted_key_ok(key: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9_./-]+", key) is not None


@st.composite
def comparisons(draw):
    entity = draw(st.sampled_from(["metric", "param", "tag", "attribute"]))
    if entity == "attribute":
        key = draw(
            st.sampled_from(
                [
                    "status",
                    "run_name",
                    "run_id",
                    "user_id",
                    "artifact_uri",
                    "lifecycle_stage",
                    "start_time",
                    "end_time",
                ]
            )
        )
        prefix = draw(st.sampled_from(["", "attributes.", "attribute.", "attr.", "run."]))
        ident = _case(draw, prefix) + (_case(draw, key) if draw(st.booleans()) else key)
    else:
        key = draw(st.one_of(_unquoted_key, _any_key))
        prefix = draw(
            st.sampled_from(
                {
                    "metric": ["metrics", "metric"],
                    "param": ["params", "param", "parameters", "parameter"],
                    "tag": ["tags", "tag"],
                }[entity]
            )
        )
        ident = _case(draw, prefix) + "." + draw(_key(key))
    numeric = entity == "metric" or (entity == "attribute" and key in ("start_time", "end_time"))
    if numeric:
        op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<="]))
        number = draw(
            st.one_of(
                st.integers(-(10**15), 10**15).map(str),
                st.floats(allow_nan=False, allow_infinity=False).map(repr),
            )
        )
        return f"{ident}{draw(_maybe_space)}{op}{draw(_maybe_space)}{number}", Comparison(
            entity, key, op, float(number)
        )
    ops = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]
    if entity in ("param", "tag"):
        ops += ["IS NULL", "IS NOT NULL"]
    op = draw(st.sampled_from(ops))
    written_op = draw(_spaces).join(_case(draw, w) for w in op.split())
    if op in ("IS NULL", "IS NOT NULL"):
        return f"{ident}{draw(_spaces)}{written_op}", Comparison(entity, key, op, None)
    status = entity == "attribute" and key == "status" and op not in ("LIKE", "ILIKE")
    values_st = (
        st.sampled_from(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"])
        if status
        else _strings
    )
    if op in ("IN", "NOT IN"):
        values = draw(st.lists(values_st, min_size=1, max_size=4))
        written = [_quote_string(draw, _case(draw, v) if status else v) for v in values]
        spaced = (draw(_maybe_space) + w + draw(_maybe_space) for w in written)
        value_text = "(" + ",".join(spaced) + ")"
        value = tuple(values)
    else:
        value = draw(values_st)
        value_text = _quote_string(draw, _case(draw, value) if status else value)
    before = draw(_spaces) if op[0].isalpha() else draw(_maybe_space)
    return f"{ident}{before}{written_op}{draw(_maybe_space)}{value_text}", Comparison(
        entity, key, op, value
    )


def _wrap(draw, pair):
    text, node = pair
    for _ in range(draw(st.integers(0, 2))):  # redundant parentheses vanish from the AST
        text = f"({draw(_maybe_space)}{text}{draw(_maybe_space)})"
    return text, node


@st.composite
def _combine(draw, children):
    cls = draw(st.sampled_from([And, Or]))
    items = draw(st.lists(children, min_size=2, max_size=4))
    parts = []
    for text, node in items:
        # An operand must be parenthesized if it is an And/Or of the same kind (it would merge
        # into this one) or an Or inside an And (precedence); And inside Or needs none.
        if isinstance(node, cls) or (cls is And and isinstance(node, Or)) or draw(st.booleans()):
            text = f"({draw(_maybe_space)}{text}{draw(_maybe_space)})"
        parts.append(text)
    keyword = "AND" if cls is And else "OR"
    text = parts[0]
    for part in parts[1:]:
        text += f"{draw(_spaces)}{_case(draw, keyword)}{draw(_spaces)}{part}"
    return text, cls(tuple(node for _, node in items))


valid_filters = st.recursive(comparisons(), _combine, max_leaves=10)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(valid_filters, st.data())
def test_generated_valid_filters_parse_to_their_ast(pair, data):
    text, expected = _wrap(data.draw, pair)
    assert parse_filter(text) == expected
    # Printing the AST back reads as the same AST.
    assert parse_filter(format_filter(expected)) == expected
