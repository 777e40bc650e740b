"""Changes made from the sidebar are recorded as the signed-in Jupyter user."""

from __future__ import annotations

import pytest
from jupyter_server.auth import IdentityProvider, User


class Ada(IdentityProvider):
    async def get_user_token(self, handler):
        user = await super().get_user_token(handler)
        return User(username="ada.lovelace", name="Ada Lovelace") if user is not None else None


@pytest.fixture
def jp_server_config(tracking_uri):
    return {
        "ServerApp": {
            "jpserver_extensions": {"labtrack.sidebar": True},
            "identity_provider_class": Ada,
        },
        "LabtrackServer": {"tracking_uri": tracking_uri},
    }


async def test_sidebar_changes_are_recorded_as_the_jupyter_user(store, api, monkeypatch):
    monkeypatch.setenv("LOGNAME", "server-process-owner")
    await api(
        "models", "iris-svm", "versions", "1", "stage", method="POST", body={"stage": "Staging"}
    )
    await api("models", "iris-svm", "versions", "1", "archive", method="POST")
    await api("models", "iris-svm", "aliases", "champion", method="PUT", body={"version": "2"})
    await api("models", "iris-svm", "aliases", "champion", method="DELETE")
    await api("models", "iris-svm", "versions", "2", method="PATCH", body={"description": "d"})
    events = (await api("models", "iris-svm", "history"))["events"]
    by_action = {}
    for event in events:
        by_action.setdefault(event["action"], event["user"])
    assert {
        action: by_action[action]
        for action in ("transition_stage", "set_alias", "delete_alias", "update_version")
    } == {
        "transition_stage": "ada.lovelace",
        "set_alias": "ada.lovelace",
        "delete_alias": "ada.lovelace",
        "update_version": "ada.lovelace",
    }
    assert by_action["create_version"] != "ada.lovelace"  # made by the test's own client
