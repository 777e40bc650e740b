"""The sidebar's REST routes answer from the store the kernels write, and their actions
change that store."""

from __future__ import annotations

import pytest
from tornado.httpclient import HTTPClientError


async def test_experiments_lists_the_store_experiments(store, api):
    reply = await api("experiments")
    names = [e["name"] for e in reply["experiments"]]
    assert "svm" in names and "Default" in names


async def test_runs_of_an_experiment_come_recent_first_with_their_metrics(store, api):
    reply = await api("experiments", store["experiment_id"], "runs")
    assert [r["run_name"] for r in reply["runs"]] == ["C=10", "C=1"]
    assert reply["runs"][0]["metrics"] == {"accuracy": 0.95}
    assert reply["runs"][0]["status"] == "FINISHED"


async def test_runs_search_matches_names_literally(store, api):
    assert [
        r["run_name"]
        for r in (await api("experiments", store["experiment_id"], "runs", params={"q": "c=1"}))[
            "runs"
        ]
    ] == ["C=10", "C=1"]
    assert [
        r["run_name"]
        for r in (await api("experiments", store["experiment_id"], "runs", params={"q": "=10"}))[
            "runs"
        ]
    ] == ["C=10"]
    # A LIKE wildcard or a quote typed in the box is text, not syntax.
    for text in ["%", "_", "'", "\\"]:
        assert (await api("experiments", store["experiment_id"], "runs", params={"q": text}))[
            "runs"
        ] == []


async def test_runs_accept_the_filter_language_and_explain_a_bad_filter(store, api, jp_fetch):
    reply = await api(
        "experiments", store["experiment_id"], "runs", params={"filter": "metrics.accuracy > 0.92"}
    )
    assert [r["run_name"] for r in reply["runs"]] == ["C=10"]
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch(
            "labtrack",
            "api",
            "experiments",
            store["experiment_id"],
            "runs",
            params={"filter": "metrics.accuracy >> 1"},
        )
    assert error.value.code == 400
    assert b"position" in error.value.response.body


async def test_unknown_things_are_404(store, jp_fetch):
    for parts in [
        ("experiments", "999", "runs"),
        ("runs", "0" * 32),
        ("models", "nope"),
        ("models", "iris-svm", "versions", "9"),
    ]:
        with pytest.raises(HTTPClientError) as error:
            await jp_fetch("labtrack", "api", *parts)
        assert error.value.code == 404, parts


async def test_a_run_shows_params_metrics_tags_and_artifacts(store, api):
    run_id = store["run_ids"][0]
    run = await api("runs", run_id)
    assert run["run_name"] == "C=1"
    assert run["params"] == {"C": "1"}
    assert run["metrics"] == {"accuracy": 0.91}
    assert run["tags"]["mlflow.runName"] == "C=1"
    assert run["artifacts"] == [{"path": "notes", "is_dir": True, "file_size": None}]
    listing = await api("runs", run_id, "artifacts", params={"path": "notes"})
    assert listing == {
        "path": "notes",
        "files": [{"path": "notes/readme.txt", "is_dir": False, "file_size": 5}],
    }


async def test_models_search_by_name(store, api):
    models = (await api("models"))["models"]
    assert [m["name"] for m in models] == ["iris-svm"]
    assert models[0]["description"] == "an SVM on iris"
    assert (await api("models", params={"q": "IRIS"}))["models"][0]["name"] == "iris-svm"
    assert (await api("models", params={"q": "resnet"}))["models"] == []


async def test_a_model_lists_every_version_with_its_run_metrics(store, api):
    model = await api("models", "iris-svm")
    assert [v["version"] for v in model["versions"]] == ["2", "1"]
    newest = model["versions"][0]
    assert newest["run_id"] == store["run_ids"][1]
    assert newest["metrics"] == {"accuracy": 0.95}
    assert newest["current_stage"] == "None"
    version = await api("models", "iris-svm", "versions", "1")
    assert version["metrics"] == {"accuracy": 0.91}


async def test_promoting_a_version_changes_the_store(store, api):
    model = await api(
        "models",
        "iris-svm",
        "versions",
        "1",
        "stage",
        method="POST",
        body={"stage": "Production", "comment": "best so far"},
    )
    assert _stages(model) == {"1": "Production", "2": "None"}
    model = await api(
        "models",
        "iris-svm",
        "versions",
        "2",
        "stage",
        method="POST",
        body={"stage": "production", "archive_existing_versions": True},
    )
    assert _stages(model) == {"1": "Archived", "2": "Production"}
    client = store["client"]
    assert client.get_model_version("iris-svm", 2).current_stage == "Production"
    assert client.get_model_version("iris-svm", 1).current_stage == "Archived"
    history = (await api("models", "iris-svm", "versions", "1", "history"))["events"]
    transition = next(
        e for e in history if e["action"] == "transition_stage" and e["to"] == "Production"
    )
    assert transition["from"] == "None" and transition["comment"] == "best so far"


async def test_aliases_are_set_moved_and_deleted(store, api):
    model = await api(
        "models", "iris-svm", "aliases", "champion", method="PUT", body={"version": "2"}
    )
    assert model["aliases"] == {"champion": "2"}
    assert model["versions"][0]["aliases"] == ["champion"]
    assert store["client"].get_model_version_by_alias("iris-svm", "champion").version == 2
    model = await api("models", "iris-svm", "aliases", "champion", method="DELETE")
    assert model["aliases"] == {}
    history = (await api("models", "iris-svm", "history"))["events"]
    assert [e["action"] for e in history][:2] == ["delete_alias", "set_alias"]


async def test_archive_and_description(store, api):
    model = await api("models", "iris-svm", "versions", "2", "archive", method="POST")
    assert _stages(model)["2"] == "Archived"
    model = await api(
        "models",
        "iris-svm",
        "versions",
        "2",
        method="PATCH",
        body={"description": "retired: <b>not</b> html"},
    )
    assert model["versions"][0]["description"] == "retired: <b>not</b> html"
    assert (
        store["client"].get_model_version("iris-svm", 2).description == "retired: <b>not</b> html"
    )


@pytest.mark.parametrize(
    "parts, method, body",
    [
        (("models", "iris-svm", "versions", "1", "stage"), "POST", {"stage": "Sideways"}),
        (("models", "iris-svm", "versions", "1", "stage"), "POST", {}),
        (
            ("models", "iris-svm", "versions", "1", "stage"),
            "POST",
            {"stage": "Staging", "archive_existing_versions": "yes"},
        ),
        (("models", "iris-svm", "aliases", "champion"), "PUT", {"version": None}),
        (("models", "iris-svm", "aliases", "bad alias!"), "PUT", {"version": "1"}),
        (("models", "iris-svm", "versions", "1"), "PATCH", ["not", "an", "object"]),
        # "²".isdigit() is True but int("²") raises: a 500 before versions were matched on [0-9]+.
        (("models", "iris-svm", "aliases", "champion"), "PUT", {"version": "²"}),
        (("models", "iris-svm", "versions", "%C2%B2"), "PATCH", {"description": "x"}),
    ],
)
async def test_bad_requests_are_400_with_a_message(store, jp_fetch, parts, method, body):
    import json

    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("labtrack", "api", *parts, method=method, body=json.dumps(body))
    assert error.value.code == 400
    assert json.loads(error.value.response.body)["message"]


async def test_the_stamp_changes_when_a_kernel_writes(store, api):
    before = (await api("stamp"))["stamp"]
    assert (await api("stamp"))["stamp"] == before
    client = store["client"]
    client.set_tag(store["run_ids"][0], "reviewed", "yes")  # as another process would
    assert (await api("stamp"))["stamp"] != before


def _stages(model: dict) -> dict:
    return {v["version"]: v["current_stage"] for v in model["versions"]}


async def test_a_model_reads_its_source_runs_in_one_query(store, api, monkeypatch):
    client = store["client"]
    for _ in range(4):
        client.create_model_version(
            "iris-svm", f"runs:/{store['run_ids'][0]}/model", run_id=store["run_ids"][0]
        )
    client.create_model_version("iris-svm", "/tmp/a-local-model")  # no run
    client.create_model_version("iris-svm", "/tmp/gone", run_id="f" * 32)  # a run that is gone
    client.delete_run(store["run_ids"][1])  # soft-deleted: still read, as get_run would
    store_class = type(client.store.runs)
    calls = []
    original = store_class.get_runs

    def counting(self, run_ids):
        # The patch is on the class, so a thread an earlier test in this process left
        # polling another store (a widget, a watcher) lands here too: count this store's.
        if self.db.engine.url == client.store.engine.url:
            calls.append(list(run_ids))
        return original(self, run_ids)

    monkeypatch.setattr(store_class, "get_runs", counting)
    model = await api("models", "iris-svm")
    assert len(calls) == 1  # not one get_run per version
    by_version = {v["version"]: v for v in model["versions"]}
    assert len(by_version) == 8
    assert (
        by_version["2"]["metrics"] == {"accuracy": 0.95} and by_version["2"]["run_name"] == "C=10"
    )
    assert by_version["3"]["metrics"] == {"accuracy": 0.91}
    assert by_version["7"]["run_name"] is None and by_version["7"]["metrics"] == {}
    assert by_version["8"]["run_id"] == "f" * 32 and by_version["8"]["metrics"] == {}


async def test_an_anonymous_token_holder_is_recorded_as_the_servers_own_user(
    store, api, monkeypatch
):
    # A shared token identifies no one (jupyter_server makes up a random id per session):
    # the history names the login the server runs as, as a kernel's change would.
    monkeypatch.setenv("LOGNAME", "server-owner")
    await api("models", "iris-svm", "aliases", "champion", method="PUT", body={"version": "1"})
    (event, *_) = (await api("models", "iris-svm", "history"))["events"]
    assert (event["action"], event["user"]) == ("set_alias", "server-owner")
