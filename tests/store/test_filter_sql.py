"""Compiled filters against a real SQLite file: which runs match, ordering, and SQL-injection
fuzzing (every user string must travel as a bound parameter)."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql

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
from labtrack.store.sql import schema
from labtrack.store.sql.filter_sql import (
    filter_condition,
    like_to_glob,
    normalize_like,
    order_by_clauses,
)

r = schema.runs

# name: (status, start_time, end_time, user, lifecycle, heartbeat, params, tags, metrics)
# Metric value None means the latest value is NaN.
RUNS = {
    "alpha": (
        "FINISHED",
        1000,
        2000,
        "alice",
        "active",
        None,
        {"lr": "0.1", "opt": "Adam", "my lr": "1e-3"},
        {"team": "Vision", "mlflow.runName": "alpha", "pat": "a*b?[c]"},
        {"acc": 0.9, "loss": 0.3, "train/loss": 0.5},
    ),
    "beta": (
        "RUNNING",
        2000,
        None,
        "bob",
        "active",
        10,  # its process died long ago
        {"lr": "0.01", "opt": "adam"},
        {"team": "vision"},
        {"acc": 0.7, "loss": None},
    ),
    "gamma": (
        "FAILED",
        3000,
        3500,
        "alice",
        "active",
        None,
        {"lr": "0.1", "opt": "SGD_x"},
        {"team": "NLP", "pat": "aXb?[c]"},
        {"acc": 0.95, "loss": 0.1},
    ),
    "delta": ("KILLED", 4000, 4100, "carol", "deleted", None, {"opt": "SGDxy"}, {}, {}),
    "Alpha-2": (
        "RUNNING",
        5000,
        None,
        "alice",
        "active",
        10**13,  # alive
        {"lr": "0.1", "opt": "50%"},
        {"team": "vision", "note": "it's"},
        {"acc": 0.7, "loss": 0.2, "train/loss": 1.5},
    ),
}
NAMES = list(RUNS)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('filter') / 'store.db'}")
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            schema.experiments.insert().values(
                experiment_id=1, name="e", artifact_location="/tmp/e"
            )
        )
        key_ids = {}
        for pk, (name, row) in enumerate(RUNS.items(), start=1):
            status, start, end, user, stage, heartbeat, params, tags, metrics = row
            conn.execute(
                r.insert().values(
                    id=pk,
                    run_uuid=f"uuid{pk}",
                    experiment_id=1,
                    name=name,
                    status=status,
                    start_time=start,
                    end_time=end,
                    user_id=user,
                    lifecycle_stage=stage,
                    artifact_uri=f"file:///artifacts/{name}",
                    heartbeat_time=heartbeat,
                )
            )
            for key, value in params.items():
                conn.execute(schema.params.insert().values(run_id=pk, key=key, value=value))
            for key, value in tags.items():
                conn.execute(schema.tags.insert().values(run_id=pk, key=key, value=value))
            for key, value in metrics.items():
                if key not in key_ids:
                    key_ids[key] = conn.execute(
                        schema.metric_keys.insert().values(key=key)
                    ).inserted_primary_key[0]
                conn.execute(
                    schema.latest_metrics.insert().values(
                        run_id=pk,
                        key_id=key_ids[key],
                        step=0,
                        timestamp=0,
                        value=value,
                        is_nan=value is None,
                    )
                )
    yield engine
    engine.dispose()


def select_names(engine, filter_text, dialect_name="sqlite"):
    node = parse_filter(filter_text)
    condition = filter_condition(node, r, dialect_name=dialect_name)
    with engine.connect() as conn:
        return set(conn.execute(sa.select(r.c.name).where(condition)).scalars())


CASES = [
    # metrics: latest value, numeric comparisons, NaN never matches, missing never matches
    ("metrics.acc > 0.8", {"alpha", "gamma"}),
    ("metrics.acc = 0.7", {"beta", "Alpha-2"}),
    ("metrics.acc != 0.7", {"alpha", "gamma"}),
    ("metrics.acc >= 0.9", {"alpha", "gamma"}),
    ("metrics.acc <= 0.7", {"beta", "Alpha-2"}),
    ("metrics.loss < 1", {"alpha", "gamma", "Alpha-2"}),
    ("metrics.loss != 0.3", {"gamma", "Alpha-2"}),
    ("metrics.loss > -1e999", {"alpha", "gamma", "Alpha-2"}),
    ("metrics.train/loss >= 0.5", {"alpha", "Alpha-2"}),
    ("metrics.`train/loss` > 1", {"Alpha-2"}),
    ("metrics.nope > 0", set()),
    # params: =, != (only runs having the key), LIKE case-sensitive, ILIKE, IN, NULL tests
    ("params.lr = '0.1'", {"alpha", "gamma", "Alpha-2"}),
    ("params.lr != '0.1'", {"beta"}),
    ("params.opt LIKE 'A%'", {"alpha"}),
    ("params.opt LIKE 'a%'", {"beta"}),
    ("params.opt LIKE '%dam'", {"alpha", "beta"}),
    ("params.opt LIKE 'ADAM'", set()),
    ("params.opt ILIKE 'ADAM'", {"alpha", "beta"}),
    ("params.opt ILIKE 'a%'", {"alpha", "beta"}),
    ("params.opt LIKE 'SGD_%'", {"gamma", "delta"}),
    ("params.opt LIKE 'SGD\\_%'", {"gamma"}),
    ("params.opt LIKE '50\\%'", {"Alpha-2"}),
    ("params.opt LIKE '5_%'", {"Alpha-2"}),
    ("params.opt LIKE '%\\%'", {"Alpha-2"}),
    ("params.opt IN ('Adam', 'SGD_x')", {"alpha", "gamma"}),
    ("params.opt NOT IN ('Adam', 'adam')", {"gamma", "delta", "Alpha-2"}),
    ("params.lr NOT IN ('0.1')", {"beta"}),
    ("params.`my lr` IS NOT NULL", {"alpha"}),
    ("params.lr IS NULL", {"delta"}),
    ("params.nope IS NULL", set(NAMES)),
    # tags: GLOB metacharacters in data and patterns are literal
    ("tags.team = 'vision'", {"beta", "Alpha-2"}),
    ("tags.team ILIKE 'VISION'", {"alpha", "beta", "Alpha-2"}),
    ("tags.team != 'NLP'", {"alpha", "beta", "Alpha-2"}),
    ("tags.mlflow.runName = 'alpha'", {"alpha"}),
    ('tags.note = "it\'s"', {"Alpha-2"}),
    ("tags.note = 'it\\'s'", {"Alpha-2"}),
    ("tags.pat LIKE 'a*b?[c]'", {"alpha"}),
    ("tags.pat LIKE 'a_b?[c]'", {"alpha", "gamma"}),
    ("tags.pat LIKE '%[c]'", {"alpha", "gamma"}),
    ("tags.pat LIKE '[%'", set()),
    ("tags.pat ILIKE 'A*B?[C]'", {"alpha"}),
    ("tags.pat = 'a*b?[c]'", {"alpha"}),
    # attributes
    ("status = 'RUNNING'", {"beta", "Alpha-2"}),
    ("attributes.status != 'RUNNING'", {"alpha", "gamma", "delta"}),
    ("status IN ('FAILED', 'KILLED')", {"gamma", "delta"}),
    ("status NOT IN ('FAILED', 'KILLED')", {"alpha", "beta", "Alpha-2"}),
    ("status LIKE 'F%'", {"alpha", "gamma"}),
    ("run_name = 'alpha'", {"alpha"}),
    ("run_name LIKE 'alpha%'", {"alpha"}),
    ("run_name ILIKE 'alpha%'", {"alpha", "Alpha-2"}),
    ("attributes.run_id = 'uuid3'", {"gamma"}),
    ("run_id IN ('uuid1', 'uuid4', 'nope')", {"alpha", "delta"}),
    ("start_time >= 3000", {"gamma", "delta", "Alpha-2"}),
    ("start_time > 2500.5", {"gamma", "delta", "Alpha-2"}),
    ("start_time = 1000", {"alpha"}),
    ("end_time < 3000", {"alpha"}),
    ("end_time > 0", {"alpha", "gamma", "delta"}),
    ("end_time != 2000", {"gamma", "delta"}),
    ("user_id = 'alice'", {"alpha", "gamma", "Alpha-2"}),
    ("artifact_uri LIKE '%/beta'", {"beta"}),
    ("lifecycle_stage = 'deleted'", {"delta"}),
    # AND / OR / parentheses
    ("metrics.acc > 0.9 OR params.lr IS NULL", {"gamma", "delta"}),
    ("metrics.acc >= 0.9 OR params.lr IS NULL", {"alpha", "gamma", "delta"}),
    ("tags.team = 'vision' AND (metrics.acc > 0.8 OR status = 'RUNNING')", {"beta", "Alpha-2"}),
    ("params.lr = '0.01' OR params.lr = '0.1' AND tags.team = 'NLP'", {"beta", "gamma"}),
    ("(params.lr = '0.01' OR params.lr = '0.1') AND tags.team = 'NLP'", {"gamma"}),
    ("params.lr = '0.1' AND user_id = 'alice' AND metrics.acc < 0.8", {"Alpha-2"}),
    ("(((run_name = 'alpha')))", {"alpha"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_filter_selects(engine, text, expected):
    assert select_names(engine, text) == expected


def test_like_on_other_dialects_uses_escaped_like_and_agrees_on_sqlite(engine):
    # The non-SQLite form (LIKE ... ESCAPE) is case-insensitive on SQLite, so it can only be
    # checked here on case-neutral patterns; what matters is the escaping agrees.
    for text in [
        "params.opt LIKE 'SGD\\_%'",
        "params.opt LIKE '50\\%'",
        "tags.pat LIKE 'a_b?[c]'",
        "tags.pat LIKE 'a*b?[c]'",
    ]:
        assert select_names(engine, text, dialect_name="postgresql") == select_names(engine, text)
    node = parse_filter("params.opt LIKE 'A%' AND tags.t ILIKE 'x'")
    sql = str(
        filter_condition(node, r, dialect_name="postgresql").compile(dialect=postgresql.dialect())
    )
    assert "params.value LIKE %(value_1)s" in sql and "ILIKE" in sql and "GLOB" not in sql


@pytest.mark.parametrize(
    ("pattern", "glob", "like"),
    [
        ("a%", "a*", "a%"),
        ("a_b", "a?b", "a_b"),
        ("50\\%", "50%", "50\\%"),
        ("x\\_y", "x_y", "x\\_y"),
        ("*?[", "[*][?][[]", "*?["),
        ("]", "]", "]"),
        ("back\\\\slash", "back\\slash", "back\\\\slash"),
        ("trailing\\", "trailing\\", "trailing\\\\"),
        ("\\a", "a", "a"),
    ],
)
def test_like_pattern_translation(pattern, glob, like):
    assert like_to_glob(pattern) == glob
    assert normalize_like(pattern) == like


ORDERS = [
    (["metrics.acc"], ["beta", "Alpha-2", "alpha", "gamma", "delta"]),
    (["metrics.acc DESC"], ["gamma", "alpha", "beta", "Alpha-2", "delta"]),
    # numbers, then NaN (beta), then missing (delta), in both directions
    (["metrics.loss ASC"], ["gamma", "Alpha-2", "alpha", "beta", "delta"]),
    (["metrics.loss DESC"], ["alpha", "Alpha-2", "gamma", "beta", "delta"]),
    (["params.lr"], ["beta", "alpha", "gamma", "Alpha-2", "delta"]),
    (["params.lr DESC"], ["alpha", "gamma", "Alpha-2", "beta", "delta"]),
    (["params.`my lr` DESC"], ["alpha", "beta", "gamma", "delta", "Alpha-2"]),
    (["tags.team", "metrics.acc DESC"], ["gamma", "alpha", "beta", "Alpha-2", "delta"]),
    (["end_time"], ["alpha", "gamma", "delta", "beta", "Alpha-2"]),
    (["end_time DESC"], ["delta", "gamma", "alpha", "beta", "Alpha-2"]),
    (["start_time DESC"], ["Alpha-2", "delta", "gamma", "beta", "alpha"]),
    (["run_name"], ["Alpha-2", "alpha", "beta", "delta", "gamma"]),
    (["status", "run_name DESC"], ["gamma", "alpha", "delta", "beta", "Alpha-2"]),
]


@pytest.mark.parametrize(("clauses", "expected"), ORDERS, ids=[" ,".join(c) for c, _ in ORDERS])
def test_order_by(engine, clauses, expected):
    orders = [parse_order_by(c) for c in clauses]
    query = sa.select(r.c.name).order_by(*order_by_clauses(orders, r), r.c.id)
    with engine.connect() as conn:
        assert list(conn.execute(query).scalars()) == expected


def test_filter_and_order_together_with_search_style_query(engine):
    condition = (
        r.c.experiment_id.in_([1])
        & r.c.lifecycle_stage.in_(["active"])
        & filter_condition(parse_filter("tags.team ILIKE 'vision' OR metrics.acc > 0.9"), r)
    )
    query = (
        sa.select(r.c.run_uuid)
        .where(condition)
        .order_by(*order_by_clauses([parse_order_by("metrics.acc DESC")], r), r.c.start_time.desc())
    )
    with engine.connect() as conn:
        assert list(conn.execute(query).scalars()) == ["uuid3", "uuid1", "uuid5", "uuid2"]


def _nested(depth: int, width: int = 1) -> str:
    text = "metrics.acc > 0.9"
    for i in range(depth):
        keyword = " AND " if i % 2 else " OR "
        text = keyword.join(["params.lr = '0.01'"] * width + [f"({text})"])
    return text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_nested(MAX_DEPTH), {"beta"}),
        (_nested(MAX_DEPTH, width=8), {"beta"}),
        (
            "metrics.acc > 0.9" + " OR params.x = 'a' AND (metrics.acc > 0.9" * 50 + ")" * 50,
            {"gamma"},
        ),
        (" OR ".join(["params.lr = '0.01'"] * MAX_COMPARISONS), {"beta"}),
        (
            " AND ".join(["params.lr IS NOT NULL"] * MAX_COMPARISONS),
            {"alpha", "beta", "gamma", "Alpha-2"},
        ),
        (
            "run_id IN (" + ", ".join(f"'uuid{i}'" for i in range(MAX_IN_VALUES)) + ")",
            {"alpha", "beta", "gamma", "delta", "Alpha-2"},
        ),
    ],
    ids=["deepest", "deep-and-wide", "and-or-pairs", "most-or", "most-and", "most-in"],
)
def test_largest_accepted_filters_compile_and_run(engine, text, expected):
    # SQLite refuses expression trees deeper than 1000 and (before 3.46) overflows its parser
    # stack on ~30 levels of `a AND (b OR (...`; SQLAlchemy's compiler recurses per level.
    # The compiled SQL must stay within all three for every filter the parser accepts.
    condition = r.c.experiment_id.in_([1]) & filter_condition(parse_filter(text), r)
    with engine.connect() as conn:
        assert set(conn.execute(sa.select(r.c.name).where(condition)).scalars()) == expected


# --- injection fuzzing ------------------------------------------------------------------

HOSTILE = [
    "'; DROP TABLE runs; --",
    '"; DROP TABLE params; --',
    "' OR '1'='1",
    "\\'; DELETE FROM tags; --",
    "Robert'); DROP TABLE metric_keys;--",
    "%' OR 1=1 --",
    "`; DROP TABLE latest_metrics; `",
    "x' UNION SELECT name FROM sqlite_master --",
]
MARK = "☃"  # never occurs in generated SQL, so text carrying it must not either

_hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=16).map(lambda s: MARK + s),
    st.sampled_from(HOSTILE).flatmap(lambda h: st.text(max_size=6).map(lambda s: s + h + s)),
)


@st.composite
def _comparisons(draw):
    entity = draw(st.sampled_from(["metric", "param", "tag", "attribute"]))
    if entity == "metric":
        op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<="]))
        value = draw(st.floats(allow_nan=False))
        return Comparison("metric", draw(_hostile_text), op, value)
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
        if key in ("start_time", "end_time"):
            op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<="]))
            return Comparison("attribute", key, op, draw(st.floats(allow_nan=False)))
        op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]))
        if key == "status" and op not in ("LIKE", "ILIKE"):
            statuses = st.sampled_from(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"])
            value = (
                tuple(draw(st.lists(statuses, min_size=1, max_size=3)))
                if "IN" in op
                else draw(statuses)
            )
            return Comparison("attribute", key, op, value)
    else:
        key = draw(_hostile_text.filter(bool))
        op = draw(
            st.sampled_from(["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL"])
        )
        if op.startswith("IS"):
            return Comparison(entity, key, op, None)
    value = (
        tuple(draw(st.lists(_hostile_text, min_size=1, max_size=3)))
        if "IN" in op
        else draw(_hostile_text)
    )
    return Comparison(entity, key, op, value)


_trees = st.recursive(
    _comparisons(),
    lambda children: st.builds(
        lambda cls, items: cls(tuple(items)),
        st.sampled_from([And, Or]),
        st.lists(children, min_size=2, max_size=3),
    ),
    max_leaves=6,
)


def _user_strings(node):
    """(text as written, forms it may be bound as) for every user string in the tree."""
    if isinstance(node, (And, Or)):
        for item in node.items:
            yield from _user_strings(item)
        return
    if node.entity != "attribute":
        yield node.key, {node.key}
    values = node.value if isinstance(node.value, tuple) else (node.value,)
    for value in values:
        if isinstance(value, str):
            forms = {value}
            if node.op in ("LIKE", "ILIKE"):
                forms = {like_to_glob(value), normalize_like(value)}
            yield value, forms


def _flat_params(compiled):
    values = []
    for value in compiled.params.values():
        values.extend(value if isinstance(value, (list, tuple)) else [value])
    return values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees, order_key=_hostile_text)
def test_hostile_filters_are_bound_parameters_and_execute_cleanly(engine, tree, order_key):
    # The text form parses back to the same tree, so this also fuzzes the parser's quoting.
    assert parse_filter(format_filter(tree)) == tree
    orders = [OrderBy("param", order_key, True), OrderBy("metric", order_key, False)]
    written_strings = list(_user_strings(tree)) + [(order_key, {order_key})]
    for dialect, dialect_name in [(engine.dialect, "sqlite"), (postgresql.dialect(), "postgresql")]:
        condition = filter_condition(tree, r, dialect_name=dialect_name)
        query = sa.select(r.c.name).where(condition).order_by(*order_by_clauses(orders, r), r.c.id)
        compiled = query.compile(dialect=dialect)
        sql, bound = str(compiled), set(_flat_params(compiled))
        for written, forms in written_strings:
            if MARK in written or any(h in written for h in HOSTILE):
                assert written not in sql
            assert forms & bound, (written, forms)
        if dialect_name == "sqlite":
            with engine.connect() as conn:
                names = set(conn.execute(query).scalars())
            assert names <= set(NAMES)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(r)).scalar_one()
    assert count == len(RUNS)
    assert {"runs", "params", "tags", "metric_keys", "latest_metrics"} <= set(
        sa.inspect(engine).get_table_names()
    )


def test_tables_intact_after_fuzzing(engine):
    with engine.connect() as conn:
        assert conn.execute(
            sa.select(sa.func.count()).select_from(schema.params)
        ).scalar_one() == sum(len(row[6]) for row in RUNS.values())
        assert conn.execute(
            sa.select(sa.func.count()).select_from(schema.tags)
        ).scalar_one() == sum(len(row[7]) for row in RUNS.values())


def test_nan_literal_cannot_be_written():
    with pytest.raises(ValueError):
        format_filter(Comparison("metric", "a", ">", math.nan))
