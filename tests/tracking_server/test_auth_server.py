"""``labtrack server --auth``: every route requires credentials and the permission its rule
names (the walk below covers every route the app has); runs and registry changes record the
signed-in user; MLflow's own client authenticates with its usual variables."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys

import httpx
import pytest

import labtrack as lt
from labtrack.store import get_store
from labtrack.tracking_server.app import build_app
from labtrack.tracking_server.auth import rules
from labtrack.tracking_server.auth.users import Users

from .conftest import run_mlflow, start_server, stop_server

PASSWORD = "a good long password"
EXPERIMENT = "shared"
MODEL = "iris"


def basic(username: str, password: str = PASSWORD) -> dict:
    return {
        "Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    }


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class World:
    """A server with users and one of everything: experiment, run, artifact, registered model
    and version, logged model (made by the admin, through the server)."""

    def __init__(self, server):
        self.server = server
        self.http = httpx.Client(timeout=30)  # one connection pool: requests are many
        self.users = Users.for_store(get_store(server.store_uri))
        self.users.add("admin", PASSWORD, admin=True)
        for name in ("editor", "nobody", "ada", "bob"):
            self.users.add(name, PASSWORD)
        admin = basic("admin")
        self.experiment_id = self.call("POST", "experiments/create", admin, name=EXPERIMENT)[
            "experiment_id"
        ]
        run = self.call("POST", "runs/create", admin, experiment_id=self.experiment_id)
        self.run_id = run["run"]["info"]["run_id"]
        self.artifact = f"{self.experiment_id}/{self.run_id}/artifacts/hello.txt"
        response = self.http.put(self.proxy(self.artifact), content=b"hello", headers=admin)
        assert response.status_code == 200, response.text
        self.call("POST", "registered-models/create", admin, name=MODEL)
        self.call(
            "POST",
            "model-versions/create",
            admin,
            name=MODEL,
            source=f"runs:/{self.run_id}/model",
            run_id=self.run_id,
        )
        logged = self.call("POST", "logged-models", admin, experiment_id=self.experiment_id)
        self.logged_model_id = logged["model"]["info"]["model_id"]

    def url(self, path: str) -> str:
        return f"{self.server.url}/api/2.0/mlflow/{path}"

    def proxy(self, path: str) -> str:
        return f"{self.server.url}/api/2.0/mlflow-artifacts/artifacts/{path}"

    def call(self, method: str, path: str, headers: dict, **body) -> dict:
        response = self.request(method, self.url(path), headers, body)
        assert response.status_code == 200, (method, path, response.text)
        return response.json()

    def request(self, method: str, url: str, headers: dict | None, body: dict) -> httpx.Response:
        if method in ("GET", "HEAD"):
            return self.http.request(method, url, params=body, headers=headers)
        if method == "PUT":
            return self.http.put(url, content=b"x", headers=headers)
        return self.http.request(method, url, json=body, headers=headers)

    def sample(self) -> dict:
        """Request fields naming this world's resources, for any route."""
        return {
            "experiment_id": self.experiment_id,
            "experiment_ids": [self.experiment_id],
            "experiment_name": EXPERIMENT,
            "run_id": self.run_id,
            "name": MODEL,
            "version": "1",
            "key": "k",
            "value": "v",
            "alias": "champion",
            "path": f"{self.experiment_id}/{self.run_id}/artifacts",
            "title": "t",  # an alert's
            # MLflow's auth API: users and grants.
            "username": "bob",
            "password": PASSWORD,  # what bob's already is: the walks change no one's password
            "is_admin": False,
            "resource_type": "experiment",
            "resource_id": self.experiment_id,
            "permission": "READ",
        }

    def path_of(self, route_path: str) -> str:
        values = {
            "artifact_path": self.artifact,
            "model_id": self.logged_model_id,
            "tag_key": "k",
        }
        return self.server.url + re.sub(
            r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], route_path
        )


@pytest.fixture
def world(tmp_path):
    server = start_server(tmp_path, "--auth", "--default-permission", "NO_PERMISSIONS")
    try:
        world = World(server)
        yield world
        world.http.close()
    finally:
        stop_server(server)


def _app_routes(tmp_path) -> list[tuple[str, str]]:
    """(path, method) of every route of the server's app with --auth (HEAD included: its
    rule is GET's)."""
    app = build_app(f"sqlite:///{tmp_path / 'routes.db'}", str(tmp_path / "artifacts"), auth=True)
    return sorted(
        (route.path, method) for route in app.routes for method in sorted(route.methods or ())
    )


def _error_code(response: httpx.Response, method: str) -> str | None:
    """The MLflow error code of an answer (a HEAD answer has no body: only its status)."""
    return None if method == "HEAD" else response.json()["error_code"]


def test_every_route_has_a_rule_and_every_rule_a_route(tmp_path):
    routes = _app_routes(tmp_path)
    assert len(routes) > 60
    missing = [r for r in routes if rules.rule_for(*r) is None]
    assert missing == [], "routes without a permission rule (only admins may use them)"
    declared = {rules.route_key(*r) for r in routes}
    assert sorted(set(rules.RULES) - declared) == [], "rules for routes the app does not have"


def test_every_route_refuses_the_unauthenticated_and_the_unpermitted(world, tmp_path):
    wrong = []
    for path, method in _app_routes(tmp_path):
        rule = rules.rule_for(path, method)
        url = world.path_of(path)
        anonymous = world.request(method, url, None, world.sample())
        if rule.needs == rules.PUBLIC:
            if anonymous.status_code != 200:
                wrong.append((method, path, "public", anonymous.status_code))
            continue
        if anonymous.status_code != 401 or _error_code(anonymous, method) not in (
            "UNAUTHENTICATED",
            None,
        ):
            wrong.append((method, path, "anonymous", anonymous.status_code))
        elif "Basic" not in anonymous.headers.get("WWW-Authenticate", ""):
            wrong.append((method, path, "no WWW-Authenticate", anonymous.status_code))
        # `nobody` has no grant, and the server's default is NO_PERMISSIONS: refused wherever
        # a resource (or another user) is involved, and where only admins may go; creating
        # and searching only need a signed-in user.
        refused = world.request(method, url, basic("nobody"), world.sample())
        if (rule.locate is not None or rule.needs == rules.ADMIN) and (
            refused.status_code != 403
            or _error_code(refused, method) not in ("PERMISSION_DENIED", None)
        ):
            wrong.append((method, path, "nobody", refused.status_code, refused.text[:200]))
        if rule.locate is None and rule.needs != rules.ADMIN and refused.status_code in (401, 403):
            wrong.append((method, path, "nobody, signed in", refused.status_code))
    assert wrong == []


def test_every_route_lets_a_permitted_user_through(world, tmp_path):
    """``editor`` manages the experiment and the model (NO_PERMISSIONS on anything else):
    every route passes the check (admins' routes: the admin; a user's own account: editor's).
    Some requests then fail for what they ask (a model renamed by an earlier one, say),
    never for want of permission."""
    wrong = []
    for path, method in _app_routes(tmp_path):
        # Grants follow a renamed or deleted model: give them again before each request (to
        # the store directly: Users.grant refuses a model that an earlier request deleted).
        world.users.store.grant_experiment("editor", world.experiment_id, "MANAGE")
        world.users.store.grant_model("editor", MODEL, "MANAGE")
        rule, sample = rules.rule_for(path, method), world.sample()
        caller = "admin" if rule.needs == rules.ADMIN else "editor"
        if rule.locate is rules.user_field:
            sample["username"] = "editor"
        response = world.request(method, world.path_of(path), basic(caller), sample)
        if response.status_code in (401, 403) or response.status_code >= 500:
            wrong.append((method, path, response.status_code, response.text[:200]))
    assert wrong == []


def test_bad_credentials_are_a_401_and_never_a_stack_trace(world):
    url = world.url("experiments/get")
    params = {"experiment_id": world.experiment_id}
    token = world.users.new_token("editor")
    for headers in (
        basic("editor", "wrong password"),
        basic("someone", PASSWORD),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        bearer(token + "x"),
        {"Authorization": "Digest abc"},
    ):
        response = world.http.get(url, params=params, headers=headers)
        assert response.status_code == 401, headers
        assert response.json().keys() == {"error_code", "message"}
        assert response.json()["error_code"] == "UNAUTHENTICATED"
    world.users.grant("editor", "READ", experiment_id=world.experiment_id)
    assert world.http.get(url, params=params, headers=bearer(token)).status_code == 200
    assert world.http.get(url, params=params, headers=basic("admin")).status_code == 200


def test_permissions_follow_mlflow(world):
    read = {"experiment_id": world.experiment_id}
    log = {"run_id": world.run_id, "key": "loss", "value": 0.5, "timestamp": 1, "step": 0}
    delete = {"experiment_id": world.experiment_id}

    def status(method, path, body, user="bob"):
        return world.request(method, world.url(path), basic(user), body).status_code

    assert status("GET", "experiments/get", read) == 403  # the server's default: NO_PERMISSIONS
    world.users.grant("bob", "READ", experiment_id=world.experiment_id)
    assert status("GET", "experiments/get", read) == 200
    assert status("POST", "runs/log-metric", log) == 403
    world.users.grant("bob", "EDIT", experiment_id=world.experiment_id)
    assert status("POST", "runs/log-metric", log) == 200
    assert status("POST", "experiments/delete", delete) == 403
    world.users.grant("bob", "MANAGE", experiment_id=world.experiment_id)
    assert status("POST", "experiments/restore", delete) == 200
    # A creator manages what they create; others do not see it.
    mine = world.call("POST", "experiments/create", basic("ada"), name="ada's")["experiment_id"]
    my_run = world.call("POST", "runs/create", basic("ada"), experiment_id=mine)["run"]["info"]
    # A logged model's files go into its source run's folder: that run's experiment counts too.
    body = {"experiment_id": mine, "source_run_id": world.run_id}
    assert status("POST", "logged-models", body, "ada") == 403
    body["source_run_id"] = my_run["run_id"]
    assert status("POST", "logged-models", body, "ada") == 200
    found = world.call("POST", "experiments/search", basic("ada"), max_results=100)
    assert [e["experiment_id"] for e in found["experiments"]] == [mine]
    found = world.call("POST", "experiments/search", basic("bob"), max_results=100)
    assert mine not in [e["experiment_id"] for e in found["experiments"]]
    assert status("POST", "experiments/delete", {"experiment_id": mine}) == 403
    assert status("POST", "experiments/delete", {"experiment_id": mine}, "ada") == 200
    world.call("POST", "registered-models/create", basic("ada"), name="ada-model")
    models = world.call("GET", "registered-models/search", basic("ada"))["registered_models"]
    assert [m["name"] for m in models] == ["ada-model"]
    world.call("POST", "registered-models/rename", basic("ada"), name="ada-model", new_name="m2")
    assert world.users.store.model_permissions(world.users.store.get_user("ada").id) == {
        "m2": "MANAGE"
    }
    # The artifact proxy: the experiment is the path's first part; outside it, admins only.
    assert world.http.get(world.proxy(world.artifact), headers=basic("ada")).status_code == 403
    assert world.http.get(world.proxy(world.artifact), headers=basic("bob")).content == b"hello"
    listing = f"{world.server.url}/api/2.0/mlflow-artifacts/artifacts"
    assert world.http.get(listing, headers=basic("bob")).status_code == 403
    assert world.http.get(listing, headers=basic("admin")).status_code == 200
    inside = {"path": f"./{world.experiment_id}/{world.run_id}"}  # read as the proxy reads it
    assert world.http.get(listing, params=inside, headers=basic("bob")).json()["files"]
    beside = world.proxy(f"0{world.artifact}")  # a folder '0<id>' is no experiment's
    assert world.http.get(beside, headers=basic("bob")).status_code == 403
    # A run named without an experiment goes to the default one (0): its permission counts.
    assert status("POST", "runs/create", {}) == 403
    world.users.grant("bob", "EDIT", experiment_id="0")
    assert status("POST", "runs/create", {}) == 200


def test_runs_and_registry_changes_record_the_signed_in_user(world):
    world.users.grant("editor", "EDIT", experiment_id=world.experiment_id)
    world.users.grant("editor", "EDIT", model=MODEL)
    run = world.call(
        "POST",
        "runs/create",
        basic("editor"),
        experiment_id=world.experiment_id,
        user_id="mallory",  # what the client claims counts for nothing
        tags=[{"key": "mlflow.user", "value": "mallory"}],
    )["run"]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert run["info"]["user_id"] == "editor" and tags["mlflow.user"] == "editor"
    world.call(
        "POST", "registered-models/alias", basic("editor"), name=MODEL, alias="best", version="1"
    )
    history = lt.Client(world.server.store_uri).get_registry_history(MODEL)
    assert (history[0].action, history[0].user_id) == ("set_alias", "editor")


def test_labtracks_http_store_signs_in_with_labtrack_tracking_token(world, monkeypatch):
    from labtrack.store.rest.http import AccessDenied
    from labtrack.store.rest.store import RestStore

    for name in ("LABTRACK_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    store = RestStore(world.server.url)
    with pytest.raises(AccessDenied, match="no credentials were sent"):
        store.experiments.get_experiment(world.experiment_id)
    monkeypatch.setenv("LABTRACK_TRACKING_TOKEN", world.users.new_token("ada"))
    with pytest.raises(AccessDenied, match="do not allow it"):  # ada has no grant there
        store.experiments.get_experiment(world.experiment_id)
    experiment_id = store.experiments.create_experiment("ada's own")
    info = store.runs.create_run(experiment_id, "r", user_id="someone else")
    assert info.user_id == "ada"
    monkeypatch.setenv("LABTRACK_TRACKING_TOKEN", "lt_not-a-token")
    with pytest.raises(AccessDenied, match="refused"):
        store.experiments.get_experiment(experiment_id)


def test_every_worker_authenticates(tmp_path, monkeypatch):
    """With --workers, each process builds the app from the environment, where --auth (here
    LABTRACK_SERVER_AUTH itself) is: every worker authenticates."""
    monkeypatch.setenv("LABTRACK_SERVER_AUTH", "1")
    server = start_server(tmp_path, "--workers", "2")
    try:
        # A new connection each time, so that both workers answer some of them.
        statuses = {
            httpx.get(f"{server.url}/api/2.0/mlflow/experiments/search").status_code
            for _ in range(20)
        }
        assert statuses == {401}
        log = (tmp_path / "server.log").read_text()
        assert "no users yet: add one with `labtrack server users add NAME --admin`" in log
        Users.for_store(get_store(server.store_uri)).add("admin", PASSWORD, admin=True)
        with httpx.Client(headers=basic("admin")) as http:
            answers = [
                http.get(f"{server.url}/api/2.0/mlflow/experiments/search") for _ in range(20)
            ]
        assert {a.status_code for a in answers} == {200}
    finally:
        stop_server(server)


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("LABTRACK_SERVER_AUTH", "maybe", "LABTRACK_SERVER_AUTH='maybe': use 1"),
        ("LABTRACK_SERVER_DEFAULT_PERMISSION", "OWNER", "unknown permission 'OWNER'"),
    ],
)
def test_a_bad_setting_stops_the_server_before_it_serves(tmp_path, variable, value, message):
    environment = {**os.environ, "LABTRACK_SERVER_AUTH": "1", variable: value}
    done = subprocess.run(
        [sys.executable, "-m", "labtrack.cli", "server", "--port", "0"]
        + ["--backend-store-uri", f"sqlite:///{tmp_path / 'store.db'}"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


MLFLOW_SCRIPT = """
    import json, os
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    os.environ.update({credentials!r})
    mlflow.set_experiment("from-mlflow")
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_metric("loss", 0.25)
        mlflow.log_text("hi", "notes/hello.txt")
    client = MlflowClient()
    client.create_registered_model("mlflow-model")
    client.create_model_version("mlflow-model", f"runs:/{{run.info.run_id}}/notes", run.info.run_id)
    os.environ.update({{"MLFLOW_TRACKING_USERNAME": "editor", "MLFLOW_TRACKING_PASSWORD": "nope"}})
    os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    try:
        client.get_run(run.info.run_id)
        refused = None
    except MlflowException as error:
        refused = str(error)
    print(json.dumps({{"run_id": run.info.run_id, "refused": refused}}))
"""


@pytest.mark.parametrize("how", ["password", "token"])
def test_mlflow_client_authenticates_with_its_variables(world, mlflow_python, tmp_path, how):
    if how == "password":
        credentials = {"MLFLOW_TRACKING_USERNAME": "ada", "MLFLOW_TRACKING_PASSWORD": PASSWORD}
    else:
        credentials = {"MLFLOW_TRACKING_TOKEN": world.users.new_token("ada")}
    script = MLFLOW_SCRIPT.format(credentials=credentials)
    result = run_mlflow(mlflow_python, world.server, script, tmp_path / "mlflow")
    run = lt.Client(world.server.store_uri).get_run(result["run_id"])
    assert run.info.user_id == "ada" and run.data.params == {"alpha": "0.5"}
    assert "401" in result["refused"] or "UNAUTHENTICATED" in result["refused"]
    assert "Traceback" not in result["refused"]
    log = (tmp_path / "server.log").read_text()  # the server's output, access log included
    secrets = [v for k, v in credentials.items() if k != "MLFLOW_TRACKING_USERNAME"]
    assert "runs/get" in log and all(secret not in log for secret in secrets)


AUTH_CLIENT_SCRIPT = """
    import importlib.util, json, os, sys, types
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    # MLflow's AuthServiceClient, what get_app_client("basic-auth") returns. It lives in
    # mlflow.server.auth, whose __init__ is MLflow's own Flask auth server and needs Flask-WTF
    # (mlflow[auth]); the client needs none of it: load the package without its __init__.
    folder = os.path.join(os.path.dirname(importlib.util.find_spec("mlflow.server").origin), "auth")
    package = types.ModuleType("mlflow.server.auth")
    package.__path__ = [folder]
    sys.modules["mlflow.server.auth"] = package
    from mlflow.server.auth.client import AuthServiceClient

    def sign_in(name, password={password!r}):
        os.environ.update({{"MLFLOW_TRACKING_USERNAME": name, "MLFLOW_TRACKING_PASSWORD": password}})

    def refused(call):
        try:
            call()
        except MlflowException as error:
            return str(error)

    auth = AuthServiceClient(os.environ["MLFLOW_TRACKING_URI"])
    sign_in("ada")
    experiment_id = MlflowClient().create_experiment("ada shares this")
    auth.grant_user_permission("bob", "experiment", experiment_id, "READ")
    granted = auth.get_user_permission("bob", "experiment", experiment_id).permission
    sign_in("bob")
    seen = MlflowClient().get_experiment(experiment_id).name
    escalate = refused(lambda: auth.grant_user_permission("bob", "experiment", experiment_id, "MANAGE"))
    others = refused(lambda: auth.get_user("ada"))
    auth.update_user_password("bob", "bob's new password")
    sign_in("bob", "bob's new password")
    me = auth.get_user("bob")
    sign_in("admin")
    carol = auth.create_user("carol", "carol's password")
    auth.update_user_admin("carol", True)
    auth.delete_user("carol")
    print(json.dumps({{
        "granted": granted, "seen": seen, "escalate": escalate, "others": others,
        "me": [me.username, me.is_admin], "carol": carol.username,
    }}))
"""


def test_mlflow_auth_client_manages_users_and_grants(world, mlflow_python, tmp_path):
    """MLflow's AuthServiceClient: a creator shares an experiment, a user changes their own
    password but nobody else's account and cannot raise their own grant, an admin adds,
    promotes and removes a user."""
    script = AUTH_CLIENT_SCRIPT.format(password=PASSWORD)
    result = run_mlflow(mlflow_python, world.server, script, tmp_path / "mlflow")
    assert result["granted"] == "READ" and result["seen"] == "ada shares this"
    assert result["escalate"].startswith("PERMISSION_DENIED: User 'bob' may not manage")
    assert result["others"].startswith("PERMISSION_DENIED: User 'bob' may only read their own")
    assert result["me"] == ["bob", False] and result["carol"] == "carol"
    assert world.users.authenticate_password("bob", "bob's new password") is not None
    assert world.users.store.get_user("carol") is None


TEAM_SCRIPT = """
    import json, os
    import mlflow
    from mlflow import MlflowClient
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    def sign_in(name):
        os.environ.update({{"MLFLOW_TRACKING_USERNAME": name, "MLFLOW_TRACKING_PASSWORD": {password!r}}})

    X, y = load_iris(return_X_y=True)
    sign_in("ada")
    mlflow.set_experiment("team")
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(LogisticRegression(max_iter=500).fit(X, y), name="model")
    version = mlflow.register_model(f"runs:/{{run.info.run_id}}/model", "team-model")
    MlflowClient().set_registered_model_alias("team-model", "champion", version.version)
    sign_in("bob")  # the server's default: bob reads what he was not given
    predictions = mlflow.pyfunc.load_model("models:/team-model@champion").predict(X[:3])
    try:
        MlflowClient().set_registered_model_alias("team-model", "champion", version.version)
        moved = "yes"
    except mlflow.exceptions.MlflowException as error:
        moved = str(error)
    print(json.dumps({{"predictions": predictions.tolist(), "moved": moved}}))
"""


def test_a_team_logs_registers_and_loads_a_model_through_an_authenticating_server(
    tmp_path, mlflow_python
):
    """The everyday flow with MLflow's client: ada logs an sklearn model (a logged model, its
    files through the proxy), registers it and sets the champion alias; bob, with the
    server's default READ, loads models:/team-model@champion and predicts, but cannot move
    the alias."""
    server = start_server(tmp_path, "--auth")  # default permission: READ, as in MLflow
    try:
        users = Users.for_store(get_store(server.store_uri))
        users.add("ada", PASSWORD)
        users.add("bob", PASSWORD)
        result = run_mlflow(
            mlflow_python, server, TEAM_SCRIPT.format(password=PASSWORD), tmp_path / "mlflow"
        )
    finally:
        stop_server(server)
    assert result["predictions"] == [0, 0, 0]
    assert result["moved"].startswith("PERMISSION_DENIED: User 'bob' may not update")
    history = lt.Client(server.store_uri).get_registry_history("team-model")
    assert {event.user_id for event in history} == {"ada"}


def test_ids_no_column_can_hold_are_a_400_never_a_500(world):
    """Non-ASCII digits and numbers past the store's columns, in a grant and in an artifact
    path (whose first part is an experiment id), are the client's error."""
    for resource_id in ("²", "99999999999999999999999", "-1"):
        body = {
            "username": "bob",
            "permission": "READ",
            "resource_type": "experiment",
            "resource_id": resource_id,
        }
        grant = world.url("users/permissions/grant").replace("/2.0/", "/3.0/")
        response = world.request("POST", grant, basic("admin"), body)
        assert response.status_code == 400, (resource_id, response.text)
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    huge = world.http.get(world.proxy("99999999999999999999/x"), headers=basic("bob"))
    assert huge.status_code == 400 and huge.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    # Not an experiment's folder at all: only admins may look there, and it holds nothing.
    assert world.http.get(world.proxy("²/x"), headers=basic("bob")).status_code == 403
    assert world.http.get(world.proxy("²/x"), headers=basic("admin")).status_code == 404


def test_a_head_request_is_read_as_a_get_one(world):
    """HEAD is checked as GET is, on its query string: the route reads the same fields, never
    a body that names something else."""
    world.users.grant("bob", "READ", experiment_id=world.experiment_id)
    response = world.http.request(
        "HEAD",
        world.url("experiments/get"),
        params={"experiment_id": world.experiment_id},
        content=b'{"experiment_id": "424242"}',
        headers=basic("bob") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 200


def test_a_model_version_needs_read_on_the_experiment_of_its_source(world):
    """As in MLflow (``validate_can_create_model_version``): editing the model is not enough,
    the caller must read the files it registers: its run's experiment, whether named by
    ``run_id``, a ``runs:/`` source or an ``mlflow-artifacts:/<experiment>/`` source."""
    world.call("POST", "registered-models/create", basic("bob"), name="bobs")  # bob manages it
    run, experiment = world.run_id, world.experiment_id

    def create(**body) -> httpx.Response:
        return world.request(
            "POST", world.url("model-versions/create"), basic("bob"), {"name": "bobs", **body}
        )

    for body in (
        {"source": f"runs:/{run}/model", "run_id": run},
        {"source": f"runs:/{run}/model"},
        {"source": "s3://elsewhere/model", "run_id": run},
        {"source": f"mlflow-artifacts:/{experiment}/{run}/artifacts/model"},
        {"source": f"mlflow-artifacts://host/{experiment}/{run}/artifacts/model"},
    ):
        response = create(**body)
        assert response.status_code == 403, (body, response.text)
        assert response.json()["error_code"] == "PERMISSION_DENIED"
    # A run that does not exist is refused as one bob may not read: no existence oracle.
    unknown, known = "0" * 32, create(source=f"runs:/{run}/model", run_id=run)
    missing = create(source=f"runs:/{unknown}/model", run_id=unknown)
    assert missing.status_code == 403
    assert missing.json()["message"] == known.json()["message"].replace(run, unknown)
    world.users.grant("bob", "READ", experiment_id=experiment)
    assert create(source=f"runs:/{run}/model", run_id=run).status_code == 200
    source = f"mlflow-artifacts:/{experiment}/{run}/artifacts/model"
    assert create(source=source).status_code == 200


def test_a_name_that_keeps_failing_to_sign_in_is_refused_without_a_check(world):
    """After 10 failed sign-ins of one name from one client, a 429 answers at once (no
    Argon2 check), even for the right password; other names still sign in."""
    from labtrack.tracking_server.auth.throttle import MAX_FAILURES

    url, params = world.url("experiments/search"), {"max_results": 1}
    for _ in range(MAX_FAILURES):
        bad = world.http.get(url, params=params, headers=basic("bob", "wrong password"))
        assert bad.status_code == 401
    refused = world.http.get(url, params=params, headers=basic("bob"))
    assert refused.status_code == 429, refused.text
    assert refused.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert world.http.get(url, params=params, headers=basic("ada")).status_code == 200
