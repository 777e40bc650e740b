"""What each route of ``labtrack server`` needs before it runs: the table the authenticating
middleware consults, modelled on MLflow's basic-auth app.

A route is named by its path as the Starlette app declares it, without the API prefix
(``/api/2.0/``, ``/ajax-api/2.0/``, or 3.0) and with its path parameters written ``{}``, and by
its method: ``("mlflow/runs/log-batch", "POST")``. A route that is not in the table is
refused to everyone but admins (deny by default); ``tests/tracking_server/test_auth_server.py``
walks every route the app has, and checks that every rule here names one of them.

Each rule names what the route needs (a capability on a resource, or just a signed-in user),
how to find the resource in the request (a field of the JSON body or query string, or the
artifact path), and what to do with the answer (grant the creator MANAGE, drop search
results the user may not read, move permissions with a renamed model).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from labtrack.tracking_server.auth.permissions import (
    DELETE_ACCESS,
    MANAGE_ACCESS,
    READ_ACCESS,
    UPDATE_ACCESS,
)

# What a rule may need besides a capability on a resource.
PUBLIC = "public"  # no credentials (health checks)
SIGNED_IN = "signed-in"  # any authenticated user; results filtered or creator granted after
ADMIN = "admin"  # managing users

# What a locator finds: an experiment (by id), a registered model (by name), or a user (by
# name: only that user, or an admin, passes).
EXPERIMENT, MODEL, USER = "experiment", "model", "user"


class Refused(Exception):
    """A request the middleware answers itself: bad input (400), no credentials (401), no
    permission (403) or an unknown resource (404)."""

    def __init__(self, status: int, error_code: str, message: str, challenge: bool = False):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.challenge = challenge  # a 401 tells the client how to authenticate


def _missing(name: str) -> Refused:
    return Refused(
        400, "INVALID_PARAMETER_VALUE", f"Missing value for required parameter '{name}'."
    )


def _field(
    message: dict, name: str, aliases: tuple[str, ...] = (), default: str | None = None
) -> str:
    """A field as the route's handler reads it (``protocol.string``): the first of ``name``
    and ``aliases`` that is given decides, so the check is on what the handler acts on."""
    for key in (name, *aliases):
        value = message.get(key)
        if isinstance(value, list) and len(value) == 1:  # a query-string key given once
            value = value[0]
        if value is None or value == "":
            continue
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
        raise Refused(400, "INVALID_PARAMETER_VALUE", f"Invalid value for parameter '{name}'.")
    if default is not None:
        return default
    raise _missing(name)


def _fields(message: dict, name: str) -> list[str]:
    value = message.get(name)
    values = value if isinstance(value, list) else [] if value in (None, "") else [value]
    if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        raise Refused(400, "INVALID_PARAMETER_VALUE", f"Invalid value for parameter '{name}'.")
    return [str(v) for v in values]


_REMEMBERED_RUNS = 100_000


class Lookup:
    """What locators may ask about the store: a run's experiment, an experiment's id by name,
    a logged model's experiment (``logged_model_experiment``, given by the server, which
    keeps logged models; without it only admins reach logged models)."""

    def __init__(self, auth_store, logged_model_experiment: Callable[[str], str] | None = None):
        self.auth_store = auth_store
        self._logged_model_experiment = logged_model_experiment
        # A run never moves to another experiment: remember where each one is (every
        # log-batch names its run), bounded.
        self._run_experiments: dict[str, str] = {}

    def experiment_of_run(self, run_id: str) -> str | None:
        experiment_id = self._run_experiments.get(run_id)
        if experiment_id is None:
            experiment_id = self.auth_store.experiment_of_run(run_id)
            if experiment_id is not None:
                if len(self._run_experiments) >= _REMEMBERED_RUNS:
                    self._run_experiments.clear()
                self._run_experiments[run_id] = experiment_id
        return experiment_id

    def experiment_named(self, name: str) -> str | None:
        return self.auth_store.experiment_named(name)

    def experiment_of_logged_model(self, model_id: str) -> str | None:
        if self._logged_model_experiment is None:
            raise Refused(403, "PERMISSION_DENIED", "Only admins may reach logged models here.")
        return self._logged_model_experiment(model_id)


class Found(NamedTuple):
    """A resource a request touches: its kind and key; and, where they differ from the
    rule's, the capability it needs there and how a refusal names it."""

    kind: str
    key: str
    needs: str | None = None
    shown: str | None = None


# A locator finds the resources a request touches: (kind, key) pairs or ``Found``s. It gets
# the request's fields (JSON body and query string), the route's path parameters and a Lookup.
Locator = Callable[[dict, dict, Lookup], list[tuple[str, str] | Found]]


def experiment_field(message, _params, _lookup):
    return [(EXPERIMENT, _field(message, "experiment_id"))]


def run_experiment_field(message, _params, _lookup):
    """A new run's experiment: the default one (0) when none is named, as the handler does."""
    return [(EXPERIMENT, _field(message, "experiment_id", default="0"))]


def experiment_ids_field(message, _params, _lookup):
    return [(EXPERIMENT, key) for key in _fields(message, "experiment_ids")]


def experiment_name_field(message, _params, lookup):
    name = _field(message, "experiment_name")
    experiment_id = lookup.experiment_named(name)
    if experiment_id is None:
        raise Refused(
            404, "RESOURCE_DOES_NOT_EXIST", f"Could not find experiment with name '{name}'"
        )
    return [(EXPERIMENT, experiment_id)]


def _run_experiment(lookup, run_id: str) -> tuple[str, str]:
    experiment_id = lookup.experiment_of_run(run_id)
    if experiment_id is None:
        raise Refused(404, "RESOURCE_DOES_NOT_EXIST", f"Run '{run_id}' not found.")
    return (EXPERIMENT, experiment_id)


def new_logged_model(message, _params, lookup):
    """A new logged model's experiment, and its source run's, whose folder gets its files."""
    found = [(EXPERIMENT, _field(message, "experiment_id"))]
    if message.get("source_run_id"):
        found.append(_run_experiment(lookup, _field(message, "source_run_id")))
    return found


def logged_model_path(_message, params, lookup):
    model_id = str(params.get("model_id", ""))
    experiment_id = lookup.experiment_of_logged_model(model_id)
    if experiment_id is None:
        raise Refused(
            404, "RESOURCE_DOES_NOT_EXIST", f"Logged model with ID '{model_id}' not found."
        )
    return [(EXPERIMENT, str(experiment_id))]


def run_field(message, _params, lookup):
    return [_run_experiment(lookup, _field(message, "run_id", ("run_uuid",)))]


def model_field(message, _params, _lookup):
    return [(MODEL, _field(message, "name"))]


def artifact_path(message, params, _lookup):
    """The proxy keeps an experiment's artifacts under a folder named by its id, as MLflow's
    does (``<experiment_id>/<run_id>/artifacts/...``): the path's first part, read as the
    proxy reads it, is the experiment. A path outside any experiment's folder (the root, the
    logged-model records) is for admins only."""
    path = params.get("artifact_path") if params else message.get("path")
    path = path[0] if isinstance(path, list) and len(path) == 1 else path
    return [(EXPERIMENT, _experiment_folder(path))]


def _experiment_folder(path) -> str:
    """The experiment whose folder of the destination holds ``path`` (see ``artifact_path``)."""
    from labtrack.errors import InvalidParameter
    from labtrack.tracking_server.artifacts import relative_path
    from labtrack.tracking_server.protocol import experiment_id

    try:
        first = relative_path(path if isinstance(path, str) else None).split("/", 1)[0]
    except InvalidParameter as error:
        raise Refused(400, "INVALID_PARAMETER_VALUE", str(error)) from None
    # ASCII digits without a leading zero ("²" and "01" are no experiment's folder).
    if not re.fullmatch(r"0|[1-9][0-9]*", first):
        raise Refused(
            403,
            "PERMISSION_DENIED",
            "Only admins may reach artifacts outside an experiment's folder.",
        )
    try:
        return experiment_id(first, "artifact_path")
    except InvalidParameter as error:
        raise Refused(400, "INVALID_PARAMETER_VALUE", str(error)) from None


def new_model_version(message, _params, lookup):
    """A new model version's model (the rule's capability), and READ on the experiment whose
    files it registers, as MLflow's ``validate_can_create_model_version``: the experiment of
    its ``run_id``, of the run of a ``runs:/<run>/...`` source, of the folder of an
    ``mlflow-artifacts:/<experiment>/...`` source, and of its logged model (``model_id``).
    A run or logged model that does not exist is refused as an unreadable one, in the same
    words: the answer tells nothing of what exists."""
    from urllib.parse import urlparse

    from labtrack.runs_uri import RUNS_SCHEME
    from labtrack.tracking_server.artifacts import PROXY_SCHEME

    found: list = [(MODEL, _field(message, "name"))]
    source = _field(message, "source", default="")
    runs = [_field(message, "run_id")] if message.get("run_id") not in (None, "") else []
    if source.startswith(RUNS_SCHEME):
        runs.append(source.removeprefix(RUNS_SCHEME).partition("/")[0])
    for run_id in dict.fromkeys(runs):
        # An unknown run's key "" has no grant: the default permission decides.
        key = lookup.experiment_of_run(run_id) or ""
        found.append(Found(EXPERIMENT, key, READ_ACCESS, f"the files of run {run_id!r}"))
    if source.startswith(PROXY_SCHEME):
        # mlflow-artifacts:/a/b and mlflow-artifacts://host/a/b both name a/b.
        found.append(
            Found(EXPERIMENT, _experiment_folder(urlparse(source).path.lstrip("/")), READ_ACCESS)
        )
    if message.get("model_id") not in (None, ""):
        model_id = _field(message, "model_id")
        key = lookup.experiment_of_logged_model(model_id) or ""
        found.append(Found(EXPERIMENT, key, READ_ACCESS, f"logged model {model_id!r}"))
    return found


def user_field(message, _params, _lookup):
    """The user a request is about: users read and change only themselves."""
    return [(USER, _field(message, "username"))]


def resource_field(message, _params, _lookup):
    """The resource a permission request is about (MLflow's ``resource_type``/``resource_id``)."""
    kind, key = _field(message, "resource_type"), _field(message, "resource_id")
    if kind == "experiment":
        return [(EXPERIMENT, key)]
    if kind == "registered_model":
        return [(MODEL, key)]
    raise Refused(
        400,
        "INVALID_PARAMETER_VALUE",
        f"Invalid resource_type {kind!r}: use experiment or registered_model.",
    )


# -- what happens once the route has answered (with 200) -------------------------------------
# An effect gets (users, identity, request fields, response JSON) and may return a new
# response JSON (filters) or None (the answer is sent as it is).


def grant_experiment_creator(users, who, _message, answer):
    users.created_experiment(who, str(answer["experiment_id"]))


def grant_model_creator(users, who, _message, answer):
    users.created_model(who, answer["registered_model"]["name"])


def move_model_permissions(users, _who, message, _answer):
    users.store.rename_model(_field(message, "name"), _field(message, "new_name"))


def forget_model_permissions(users, _who, message, _answer):
    users.store.forget_model(_field(message, "name"))


def keep_readable(list_key: str, kind: str, key_field: str):
    """An effect that drops from ``answer[list_key]`` what the user may not read (MLflow's
    basic-auth app filters searches the same way; a page may then hold fewer results)."""

    def effect(users, who, _message, answer):
        readable = (users.readable_experiments if kind == EXPERIMENT else users.readable_models)(
            who
        )
        items = answer.get(list_key) or []
        kept = [item for item in items if readable(str(item.get(key_field)))]
        if len(kept) == len(items):
            return None
        return {**answer, list_key: kept}

    return effect


@dataclass(frozen=True)
class Rule:
    """What a route needs (``read``/``update``/``delete``/``manage`` on what ``locate``
    finds, or ``PUBLIC`` or ``SIGNED_IN``), and what follows its answer."""

    needs: str
    locate: Locator | None = None
    after: Callable | None = None


def _r(needs: str, locate: Locator | None = None, after: Callable | None = None) -> Rule:
    return Rule(needs, locate, after)


_read_run, _update_run, _delete_run = (
    _r(READ_ACCESS, run_field),
    _r(UPDATE_ACCESS, run_field),
    _r(DELETE_ACCESS, run_field),
)
_read_model, _update_model, _delete_model = (
    _r(READ_ACCESS, model_field),
    _r(UPDATE_ACCESS, model_field),
    _r(DELETE_ACCESS, model_field),
)

RULES: dict[tuple[str, str], Rule] = {
    # -- experiments
    ("mlflow/experiments/create", "POST"): _r(SIGNED_IN, after=grant_experiment_creator),
    ("mlflow/experiments/get", "GET"): _r(READ_ACCESS, experiment_field),
    ("mlflow/experiments/get-by-name", "GET"): _r(READ_ACCESS, experiment_name_field),
    ("mlflow/experiments/delete", "POST"): _r(DELETE_ACCESS, experiment_field),
    ("mlflow/experiments/restore", "POST"): _r(DELETE_ACCESS, experiment_field),
    ("mlflow/experiments/update", "POST"): _r(UPDATE_ACCESS, experiment_field),
    ("mlflow/experiments/set-experiment-tag", "POST"): _r(UPDATE_ACCESS, experiment_field),
    ("mlflow/experiments/delete-experiment-tag", "POST"): _r(UPDATE_ACCESS, experiment_field),
    ("mlflow/experiments/search", "GET"): _r(
        SIGNED_IN, after=keep_readable("experiments", EXPERIMENT, "experiment_id")
    ),
    ("mlflow/experiments/search", "POST"): _r(
        SIGNED_IN, after=keep_readable("experiments", EXPERIMENT, "experiment_id")
    ),
    # -- runs
    ("mlflow/runs/create", "POST"): _r(UPDATE_ACCESS, run_experiment_field),
    # labtrack's own: a run copied with its id (labtrack sync), created as runs/create does.
    ("mlflow/runs/import", "POST"): _r(UPDATE_ACCESS, run_experiment_field),
    ("mlflow/runs/get", "GET"): _read_run,
    ("mlflow/runs/update", "POST"): _update_run,
    ("mlflow/runs/delete", "POST"): _delete_run,
    ("mlflow/runs/restore", "POST"): _delete_run,
    ("mlflow/runs/log-metric", "POST"): _update_run,
    ("mlflow/runs/log-parameter", "POST"): _update_run,
    ("mlflow/runs/set-tag", "POST"): _update_run,
    ("mlflow/runs/delete-tag", "POST"): _update_run,
    ("mlflow/runs/log-batch", "POST"): _update_run,
    ("mlflow/runs/log-model", "POST"): _update_run,
    ("mlflow/runs/outputs", "POST"): _update_run,
    ("mlflow/runs/log-inputs", "POST"): _update_run,
    # Searching runs reads every experiment it names (MLflow filters runs the same way).
    ("mlflow/runs/search", "POST"): _r(READ_ACCESS, experiment_ids_field),
    ("mlflow/labtrack/runs/count", "POST"): _r(READ_ACCESS, experiment_ids_field),
    ("mlflow/metrics/get-history", "GET"): _read_run,
    ("mlflow/artifacts/list", "GET"): _read_run,
    # -- logged models (MLflow 3): their experiment's permissions
    ("mlflow/logged-models", "POST"): _r(UPDATE_ACCESS, new_logged_model),
    ("mlflow/logged-models/search", "POST"): _r(READ_ACCESS, experiment_ids_field),
    # labtrack's own: a model copied with its id (labtrack sync), checked as a new one.
    ("mlflow/logged-models/import", "POST"): _r(UPDATE_ACCESS, new_logged_model),
    ("mlflow/logged-models/{}", "GET"): _r(READ_ACCESS, logged_model_path),
    ("mlflow/logged-models/{}", "PATCH"): _r(UPDATE_ACCESS, logged_model_path),
    ("mlflow/logged-models/{}", "DELETE"): _r(DELETE_ACCESS, logged_model_path),
    ("mlflow/logged-models/{}/tags", "PATCH"): _r(UPDATE_ACCESS, logged_model_path),
    ("mlflow/logged-models/{}/tags/{}", "DELETE"): _r(UPDATE_ACCESS, logged_model_path),
    ("mlflow/logged-models/{}/params", "POST"): _r(UPDATE_ACCESS, logged_model_path),
    # -- the model registry
    ("mlflow/registered-models/create", "POST"): _r(SIGNED_IN, after=grant_model_creator),
    ("mlflow/registered-models/get", "GET"): _read_model,
    ("mlflow/registered-models/rename", "POST"): _r(
        UPDATE_ACCESS, model_field, move_model_permissions
    ),
    ("mlflow/registered-models/update", "PATCH"): _update_model,
    ("mlflow/registered-models/delete", "DELETE"): _r(
        DELETE_ACCESS, model_field, forget_model_permissions
    ),
    ("mlflow/registered-models/search", "GET"): _r(
        SIGNED_IN, after=keep_readable("registered_models", MODEL, "name")
    ),
    ("mlflow/registered-models/get-latest-versions", "GET"): _read_model,
    ("mlflow/registered-models/get-latest-versions", "POST"): _read_model,
    ("mlflow/registered-models/set-tag", "POST"): _update_model,
    ("mlflow/registered-models/delete-tag", "DELETE"): _update_model,
    ("mlflow/registered-models/alias", "POST"): _update_model,
    ("mlflow/registered-models/alias", "DELETE"): _delete_model,
    ("mlflow/registered-models/alias", "GET"): _read_model,
    ("mlflow/registered-models/history", "GET"): _read_model,
    ("mlflow/model-versions/create", "POST"): _r(UPDATE_ACCESS, new_model_version),
    ("mlflow/model-versions/get", "GET"): _read_model,
    ("mlflow/model-versions/update", "PATCH"): _update_model,
    ("mlflow/model-versions/transition-stage", "POST"): _update_model,
    ("mlflow/model-versions/delete", "DELETE"): _delete_model,
    ("mlflow/model-versions/get-download-uri", "GET"): _read_model,
    ("mlflow/model-versions/set-tag", "POST"): _update_model,
    ("mlflow/model-versions/delete-tag", "DELETE"): _delete_model,
    ("mlflow/model-versions/search", "GET"): _r(
        SIGNED_IN, after=keep_readable("model_versions", MODEL, "name")
    ),
    # -- labtrack's alerts on runs: writers of the run's experiment add, readers read
    ("mlflow/labtrack/alerts/create", "POST"): _update_run,
    ("mlflow/labtrack/alerts/search", "POST"): _r(
        SIGNED_IN, after=keep_readable("alerts", EXPERIMENT, "experiment_id")
    ),
    ("mlflow/labtrack/alerts/last-id", "GET"): _r(SIGNED_IN),
    # -- the artifact proxy: the experiment is the path's first part
    ("mlflow-artifacts/artifacts/{}", "GET"): _r(READ_ACCESS, artifact_path),
    ("mlflow-artifacts/artifacts/{}", "PUT"): _r(UPDATE_ACCESS, artifact_path),
    ("mlflow-artifacts/artifacts/{}", "DELETE"): _r(DELETE_ACCESS, artifact_path),
    ("mlflow-artifacts/artifacts", "GET"): _r(READ_ACCESS, artifact_path),
}
# MLflow's auth API (``endpoints.py``, served only with --auth): admins manage users, a user
# reads and changes themselves, whoever manages a resource grants and revokes on it.
RULES.update(
    {
        ("mlflow/users/create", "POST"): _r(ADMIN),
        ("mlflow/users/get", "GET"): _r(READ_ACCESS, user_field),
        ("mlflow/users/update-password", "PATCH"): _r(UPDATE_ACCESS, user_field),
        ("mlflow/users/update-admin", "PATCH"): _r(ADMIN),
        ("mlflow/users/delete", "DELETE"): _r(ADMIN),
        ("mlflow/users/permissions/grant", "POST"): _r(MANAGE_ACCESS, resource_field),
        ("mlflow/users/permissions/revoke", "POST"): _r(MANAGE_ACCESS, resource_field),
        ("mlflow/users/permissions/get", "GET"): _r(MANAGE_ACCESS, resource_field),
    }
)

# Paths anyone may reach: liveness probes answer without credentials, as MLflow's do.
PUBLIC_PATHS = frozenset({"/health", "/version"})

_API_PREFIX = re.compile(r"^/(?:ajax-)?api/[23]\.0/")
_PARAM = re.compile(r"\{[^}]*\}")


def route_key(path: str, method: str) -> tuple[str, str]:
    """The table's name for a route declared as ``path`` (Starlette's syntax), and ``method``
    (HEAD is GET's)."""
    method = method.upper()
    return _PARAM.sub("{}", _API_PREFIX.sub("", path)), "GET" if method == "HEAD" else method


def rule_for(path: str, method: str) -> Rule | None:
    """The rule of a route, or None: refused to all but admins."""
    if path in PUBLIC_PATHS:
        return Rule(PUBLIC)
    return RULES.get(route_key(path, method))
