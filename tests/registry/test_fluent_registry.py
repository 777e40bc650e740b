"""MLflow's fluent registry functions: register_model's arguments, search_registered_models,
search_model_versions and set_model_version_tag."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter


def test_register_model_takes_mlflows_positional_wait_and_refuses_env_pack(tmp_path):
    version = lt.register_model(str(tmp_path), "waited", 0, tags={"team": "vision"})
    assert version.version == 1 and version.tags == {"team": "vision"}
    with pytest.raises(InvalidParameter, match="env_pack"):
        lt.register_model(str(tmp_path), "waited", env_pack="databricks_model_serving")


def test_searches_and_tags_every_page(tmp_path, monkeypatch):
    for name in ("iris-a", "iris-b", "iris-c", "other"):
        lt.register_model(str(tmp_path), name)
    lt.register_model(str(tmp_path), "iris-a")
    lt.set_model_version_tag("iris-a", "2", "validated", "yes")

    client_search = lt.Client.search_registered_models
    pages = []

    def small_pages(self, filter_string=None, max_results=100, order_by=None, page_token=None):
        pages.append(page_token)
        return client_search(self, filter_string, 2, order_by, page_token)

    monkeypatch.setattr(lt.Client, "search_registered_models", small_pages)
    found = lt.search_registered_models(filter_string="name LIKE 'iris%'", order_by=["name DESC"])
    assert [m.name for m in found] == ["iris-c", "iris-b", "iris-a"] and len(pages) == 2
    assert [m.name for m in lt.search_registered_models(max_results=1, order_by=["name"])] == [
        "iris-a"
    ]
    versions = lt.search_model_versions(filter_string="name = 'iris-a'")
    assert sorted(v.version for v in versions) == [1, 2]
    assert {v.version: v.tags for v in versions}[2] == {"validated": "yes"}


def test_the_client_takes_mlflows_wait_and_refuses_deployment_jobs():
    client = lt.Client()
    client.create_registered_model("jobs")
    version = client.create_model_version("jobs", "/models/m", None, None, None, None, 0)
    assert version.version == 1
    with pytest.raises(InvalidParameter, match="deployment_job_id"):
        client.create_registered_model("jobs-2", deployment_job_id="123")
    with pytest.raises(InvalidParameter, match="deployment_job_id"):
        client.update_registered_model("jobs", "text", deployment_job_id="123")
