"""Searching models and versions with MLflow's registry filters, ordering and paging."""

from __future__ import annotations

import pytest

from labtrack.errors import InvalidFilter


@pytest.fixture
def catalog(client, run_id):
    for name, team in (("iris-svm", "vision"), ("iris-knn", "vision"), ("Wine", "tabular")):
        client.create_registered_model(name, tags={"team": team})
    client.create_model_version("iris-svm", f"runs:/{run_id}/model", run_id=run_id)
    client.create_model_version("iris-svm", "/models/svm2", tags={"validated": "yes"})
    client.create_model_version("iris-knn", "/models/knn1", run_id=run_id)
    return client


def _names(models):
    return [m.name for m in models]


def test_models_by_name(catalog):
    assert _names(catalog.search_registered_models()) == ["Wine", "iris-knn", "iris-svm"]
    assert _names(catalog.search_registered_models("name = 'iris-svm'")) == ["iris-svm"]
    assert _names(catalog.search_registered_models("name LIKE 'iris%'")) == ["iris-knn", "iris-svm"]
    assert (
        _names(catalog.search_registered_models("name LIKE 'wine'")) == []
    )  # LIKE is case-sensitive
    assert _names(catalog.search_registered_models("name ILIKE 'wine'")) == ["Wine"]
    assert _names(catalog.search_registered_models("name != 'Wine'")) == ["iris-knn", "iris-svm"]


def test_models_by_tag_and_name_together(catalog):
    assert _names(catalog.search_registered_models("tags.team = 'vision'")) == [
        "iris-knn",
        "iris-svm",
    ]
    assert _names(
        catalog.search_registered_models("tags.team = 'vision' AND name LIKE '%svm'")
    ) == ["iris-svm"]
    assert _names(catalog.search_registered_models("tags.missing = 'x'")) == []


def test_models_ordered_and_paged(catalog):
    assert _names(catalog.search_registered_models(order_by=["name DESC"])) == [
        "iris-svm",
        "iris-knn",
        "Wine",
    ]
    first = catalog.search_registered_models(max_results=2)
    assert _names(first) == ["Wine", "iris-knn"] and first.token
    second = catalog.search_registered_models(max_results=2, page_token=first.token)
    assert _names(second) == ["iris-svm"] and second.token is None


def test_versions_by_name_run_source_and_number(catalog, run_id):
    def found(text):
        return [(v.name, v.version) for v in catalog.search_model_versions(text)]

    assert found("name = 'iris-svm'") == [("iris-svm", 2), ("iris-svm", 1)]
    assert found(f"run_id = '{run_id}'") == [("iris-knn", 1), ("iris-svm", 1)]
    assert found(f"run_id = '{run_id}' and name = 'iris-svm'") == [("iris-svm", 1)]
    assert found(f"run_id IN ('{run_id}', '{'0' * 32}')") == [("iris-knn", 1), ("iris-svm", 1)]
    assert found("source_path LIKE '/models/%'") == [("iris-knn", 1), ("iris-svm", 2)]
    assert found("version_number >= 2") == [("iris-svm", 2)]
    assert found("tags.validated = 'yes'") == [("iris-svm", 2)]
    assert found(None) == [("iris-knn", 1), ("iris-svm", 2), ("iris-svm", 1)]


def test_versions_ordered_and_paged(catalog):
    ordered = catalog.search_model_versions(order_by=["version_number ASC", "name DESC"])
    assert [(v.name, v.version) for v in ordered] == [
        ("iris-svm", 1),
        ("iris-knn", 1),
        ("iris-svm", 2),
    ]
    page = catalog.search_model_versions("name LIKE 'iris%'", max_results=1)
    rest = catalog.search_model_versions("name LIKE 'iris%'", max_results=5, page_token=page.token)
    assert len(page) == 1 and len(rest) == 2 and page.token and rest.token is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("name = 1", "quoted string"),
        ("stage = 'x'", "unknown attribute 'stage'"),
        ("name = 'a' OR name = 'b'", "AND only"),
        ("name > 'a'", "can only be compared"),
        ("name = 'unterminated", "unterminated string"),
    ],
)
def test_bad_model_filters_say_what_is_wrong(catalog, text, message):
    with pytest.raises(InvalidFilter, match=message):
        catalog.search_registered_models(text)


@pytest.mark.timeout(10)
def test_an_unclosed_in_list_of_adjacent_strings_is_refused_at_once(catalog):
    # With an optional comma between items, 30 strings meant 2**30 ways to split them.
    with pytest.raises(InvalidFilter, match="expected ',' or '\\)' in the IN list"):
        catalog.search_model_versions("run_id IN (" + "'a'" * 30 + "x")


def test_in_lists_need_commas_and_may_end_with_one(catalog, run_id):
    assert len(catalog.search_model_versions(f"run_id IN ('{run_id}', 'other',)")) == 2
    with pytest.raises(InvalidFilter, match="must not be empty"):
        catalog.search_model_versions("run_id IN ( )")
    with pytest.raises(InvalidFilter, match="expected ',' or '\\)' in the IN list"):
        catalog.search_model_versions(f"run_id IN ('{run_id}' 'other')")


def test_version_only_keys_are_refused_for_models(catalog, run_id):
    with pytest.raises(InvalidFilter, match="unknown attribute 'run_id'"):
        catalog.search_registered_models(f"run_id = '{run_id}'")
    with pytest.raises(InvalidFilter, match="'version_number' can only be compared with integers"):
        catalog.search_model_versions("version_number = '2'")
    with pytest.raises(InvalidFilter, match="order_by"):
        catalog.search_model_versions(order_by=["stage"])
