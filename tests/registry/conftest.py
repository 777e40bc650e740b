"""Registry fixtures: a store with one finished run whose artifacts hold a 'model' folder."""

from __future__ import annotations

import pytest

import labtrack as lt


@pytest.fixture(autouse=True)
def registry_user(monkeypatch):
    """Who the registry records (getpass reads LOGNAME first)."""
    monkeypatch.setenv("LOGNAME", "ada")
    return "ada"


@pytest.fixture
def run_id(tracking_uri, tmp_path) -> str:
    model = tmp_path / "model-files"
    model.mkdir()
    (model / "MLmodel").write_text("flavors: {}\n")
    with lt.start_run() as run:
        lt.log_artifacts(str(model), "model")
    return run.info.run_id
