"""One filter parser for every search: runs, registered models, model versions, experiments.

The quoting rules are the same for all of them (checked on the AST and end to end through
the client), what each may be filtered by is its own (anything else is a clear InvalidFilter
naming the position), and experiments get the full language rather than a name pattern.
"""

from __future__ import annotations

import pytest

from labtrack.entities import ViewType
from labtrack.errors import InvalidFilter
from labtrack.store.filter import (
    EXPERIMENTS,
    MODEL_VERSIONS,
    REGISTERED_MODELS,
    RUNS,
    And,
    Comparison,
    parse_filter,
    parse_order_by,
)

SEARCHABLES = [RUNS, REGISTERED_MODELS, MODEL_VERSIONS, EXPERIMENTS]
_IDS = [s.name for s in SEARCHABLES]

# (filter text, tag key, value): every quoting form MLflow's language has.
QUOTINGS = [
    ("tags.team = 'it\\'s'", "team", "it's"),
    ("tags.team = 'it''s'", "team", "it's"),
    ('tags.team = "it\'s"', "team", "it's"),
    ('tags.team = "say \\"hi\\""', "team", 'say "hi"'),
    ("tags.`my key` = 'v'", "my key", "v"),
    ("tags.\"my key\" = 'v'", "my key", "v"),
    ("tags.`we'ird.key` = 'v'", "we'ird.key", "v"),
    ("TAG.mlflow.note = 'a AND b'", "mlflow.note", "a AND b"),
    ("tags.ns:key = 'v'", "ns:key", "v"),
    ("tags.café = 'ünï ☃'", "café", "ünï ☃"),
    ("tags.x = 'back\\\\slash'", "x", "back\\slash"),
    ("tags.x LIKE '50\\%'", "x", "50\\%"),
]


@pytest.mark.parametrize("searchable", SEARCHABLES, ids=_IDS)
@pytest.mark.parametrize(("text", "key", "value"), QUOTINGS, ids=[q[0] for q in QUOTINGS])
def test_the_same_quoting_rules_for_every_entity(searchable, text, key, value):
    op = "LIKE" if "LIKE" in text else "="
    assert parse_filter(text, searchable) == Comparison("tag", key, op, value)


@pytest.mark.parametrize("searchable", SEARCHABLES, ids=_IDS)
@pytest.mark.parametrize(
    ("text", "fragment", "position"),
    [
        ("tags.x = 'abc", "unterminated string", 9),
        ("tags.`abc = 'x'", "unterminated quoted key", 5),
        ("tags.x IN ('a' 'b')", "expected ',' or ')' in the IN list", 15),
        ("tags.x = 1", "tags can only be compared with quoted strings", 9),
        ("tags.x = 'a' AND", "but the filter ended", 16),
    ],
)
def test_the_same_errors_and_positions_for_every_entity(searchable, text, fragment, position):
    with pytest.raises(InvalidFilter) as info:
        parse_filter(text, searchable)
    assert fragment in str(info.value)
    assert info.value.position == position


@pytest.mark.parametrize(
    ("searchable", "text", "fragment", "position"),
    [
        (
            REGISTERED_MODELS,
            "metrics.acc > 1",
            "registered models cannot be filtered by metrics; expected tags. or attributes.",
            0,
        ),
        (
            MODEL_VERSIONS,
            "name = 'a' AND params.lr = '1'",
            "model versions cannot be filtered by params",
            15,
        ),
        (EXPERIMENTS, "metrics.acc > 1", "experiments cannot be filtered by metrics", 0),
        (
            REGISTERED_MODELS,
            "run_id = 'x'",
            "unknown attribute 'run_id'; expected one of name "
            "(the attributes of registered models, or prefix a key "
            "with tags.)",
            0,
        ),
        (
            MODEL_VERSIONS,
            "attributes.status = 'READY'",
            "unknown attribute 'status'; expected one of name, run_id, source_path, version_number",
            11,
        ),
        (EXPERIMENTS, "status = 'FINISHED'", "(the attributes of experiments", 0),
        (EXPERIMENTS, "run_name = 'x'", "unknown attribute 'run_name'", 0),
        (RUNS, "version_number > 1", "unknown attribute 'version_number'", 0),
        (
            MODEL_VERSIONS,
            "version_number = 1.5",
            "'version_number' can only be compared with integers",
            17,
        ),
        (
            EXPERIMENTS,
            "name = 'a' OR name = 'b'",
            "experiments combine comparisons with AND only",
            11,
        ),
        (REGISTERED_MODELS, "(name = 'a' OR name = 'b')", "AND only", 12),
    ],
)
def test_what_an_entity_cannot_be_filtered_by_is_a_clear_invalid_filter(
    searchable, text, fragment, position
):
    with pytest.raises(InvalidFilter) as info:
        parse_filter(text, searchable)
    assert fragment in str(info.value)
    assert info.value.position == position


def test_order_by_keys_are_per_entity():
    assert parse_order_by("timestamp DESC", REGISTERED_MODELS).key == "creation_timestamp"
    assert parse_order_by("attributes.version_number", MODEL_VERSIONS).key == "version_number"
    with pytest.raises(InvalidFilter, match="unknown attribute 'version_number' in order_by"):
        parse_order_by("version_number", REGISTERED_MODELS)
    with pytest.raises(InvalidFilter, match="registered models cannot be ordered by tags"):
        parse_order_by("tags.team", REGISTERED_MODELS)


def test_registry_filters_may_use_parentheses_and_trailing_commas():
    assert parse_filter("(name = 'a') AND tags.t IN ('x',)", MODEL_VERSIONS) == And(
        (
            Comparison("attribute", "name", "=", "a"),
            Comparison("tag", "t", "IN", ("x",)),
        )
    )


# --- end to end: one filter text finds the same thing in every entity --------------------

SPECIAL_KEY, SPECIAL_VALUE = "ns:my key", 'it\'s "quoted" 50%'


@pytest.fixture
def tagged(client, tmp_path):
    """One run, one experiment, one model and one version, all tagged SPECIAL_KEY=SPECIAL_VALUE
    and with a plain tag team=other."""
    tags = {SPECIAL_KEY: SPECIAL_VALUE, "team": "other"}
    experiment_id = client.create_experiment("tagged-exp", tags=tags)
    client.create_experiment("plain-exp", tags={"team": "other"})
    run = client.create_run(experiment_id, tags=tags)
    client.create_registered_model("tagged-model", tags=tags)
    client.create_registered_model("plain-model")
    client.create_model_version("tagged-model", str(tmp_path), run_id=run.info.run_id, tags=tags)
    client.create_model_version("tagged-model", str(tmp_path), tags={"team": "other"})
    return client, experiment_id, run.info.run_id


_SPECIAL_FILTERS = [
    "tags.`ns:my key` = 'it\\'s \"quoted\" 50%'",
    "tags.\"ns:my key\" = 'it''s \"quoted\" 50%'",
    'tags.`ns:my key` = "it\'s \\"quoted\\" 50%"',
    "tags.`ns:my key` LIKE 'it''s %50\\%' AND tags.team = 'other'",
    "tags.`ns:my key` IN ('nope', 'it\\'s \"quoted\" 50%',)",
]


@pytest.mark.parametrize("text", _SPECIAL_FILTERS)
def test_one_filter_text_finds_the_tagged_thing_in_every_entity(tagged, text):
    client, experiment_id, run_id = tagged
    assert [r.info.run_id for r in client.search_runs([experiment_id], text)] == [run_id]
    assert [e.name for e in client.search_experiments(filter_string=text)] == ["tagged-exp"]
    assert [m.name for m in client.search_registered_models(text)] == ["tagged-model"]
    versions = client.search_model_versions(text)
    assert [(v.name, v.version) for v in versions] == [("tagged-model", 1)]


def test_a_key_an_entity_lacks_is_refused_at_the_call_site(tagged):
    client, experiment_id, _ = tagged
    with pytest.raises(InvalidFilter, match="experiments cannot be filtered by params"):
        client.search_experiments(filter_string="params.lr = '1'")
    with pytest.raises(InvalidFilter, match="unknown attribute 'status'"):
        client.search_registered_models("status = 'READY'")
    with pytest.raises(InvalidFilter, match="model versions cannot be filtered by metrics"):
        client.search_model_versions("metrics.acc > 1")
    with pytest.raises(InvalidFilter, match="unknown attribute 'version_number'"):
        client.search_runs([experiment_id], "version_number = 1")


# --- experiments -------------------------------------------------------------------------


@pytest.fixture
def experiments(client):
    for name, team in (
        ("svm-iris", "vision"),
        ("SVM-wine", "tabular"),
        ("knn_iris", "vision"),
        ("knnXiris", None),
    ):
        client.create_experiment(name, tags={"team": team} if team else None)
    return client


def _found(client, text, **kwargs):
    return [e.name for e in client.search_experiments(filter_string=text, **kwargs)]


def test_experiments_by_name(experiments):
    every = ["Default", "svm-iris", "SVM-wine", "knn_iris", "knnXiris"]
    assert _found(experiments, None) == every
    assert _found(experiments, "  ") == every
    assert _found(experiments, "name = 'svm-iris'") == ["svm-iris"]
    assert _found(experiments, 'attributes.name = "svm-iris"') == ["svm-iris"]
    assert _found(experiments, "NAME != 'svm-iris'") == every[:1] + every[2:]
    assert _found(experiments, "name LIKE 'svm%'") == ["svm-iris"]  # LIKE is case-sensitive
    assert _found(experiments, "name ILIKE 'svm%'") == ["svm-iris", "SVM-wine"]
    assert _found(experiments, "name LIKE 'knn\\_%'") == ["knn_iris"]  # an escaped wildcard
    assert _found(experiments, "name IN ('knnXiris', 'Default')") == ["Default", "knnXiris"]
    # = compares exactly: no wildcards, no case folding
    assert _found(experiments, "name = 'knn_iris'") == ["knn_iris"]
    assert _found(experiments, "name = 'SVM-IRIS'") == []


def test_experiments_by_tag_and_together(experiments):
    assert _found(experiments, "tags.team = 'vision'") == ["svm-iris", "knn_iris"]
    assert _found(experiments, "tags.team != 'vision'") == ["SVM-wine"]  # only those with the tag
    assert _found(experiments, "tags.team IS NULL") == ["Default", "knnXiris"]
    assert _found(experiments, "tags.team = 'vision' AND name LIKE 'knn%'") == ["knn_iris"]
    assert _found(experiments, "(name ILIKE 'svm%') and tags.team = 'tabular'") == ["SVM-wine"]


def test_experiments_by_creation_time_view_and_max_results(experiments):
    created = {e.name: e.creation_time for e in experiments.search_experiments()}
    latest = max(created.values())
    newest = [name for name, time in created.items() if time >= latest]
    assert _found(experiments, f"creation_time >= {latest}") == newest
    assert _found(experiments, f"attributes.last_update_time > {latest + 10**6}") == []
    assert _found(experiments, "creation_time < 0") == []
    experiments.delete_experiment(experiments.get_experiment_by_name("svm-iris").experiment_id)
    assert _found(experiments, "name LIKE 'svm%'") == []
    assert _found(experiments, "name LIKE 'svm%'", view_type=ViewType.ALL) == ["svm-iris"]
    assert _found(experiments, "tags.team = 'vision'", view_type=ViewType.ALL, max_results=1) == [
        "svm-iris"
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name = 'a' OR name = 'b'", "AND only"),
        ("name > 'a'", "attribute 'name' can only be compared with"),
        ("name LIKE", "expected a quoted string after name LIKE"),
        ("creation_time > 'yesterday'", "can only be compared with numbers"),
        ("lifecycle_stage = 'deleted'", "unknown attribute 'lifecycle_stage'"),
    ],
)
def test_bad_experiment_filters_say_what_is_wrong(experiments, text, fragment):
    with pytest.raises(InvalidFilter, match=fragment.replace("(", "\\(")) as info:
        experiments.search_experiments(filter_string=text)
    assert info.value.position is not None


def test_experiment_names_with_sql_in_them_are_data(experiments):
    experiments.create_experiment("x' OR '1'='1")
    assert _found(experiments, "name = 'x'' OR ''1''=''1'") == ["x' OR '1'='1"]
    assert _found(experiments, "name = 'x\\' OR 1=1 --'") == []
