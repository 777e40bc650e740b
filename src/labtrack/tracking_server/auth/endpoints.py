"""MLflow's auth REST API on ``labtrack server --auth``, what MLflow's ``AuthServiceClient``
(``mlflow.server.get_app_client("basic-auth", ...)``) calls: users (create, get, change a
password or admin status, delete) and one user's permission on one experiment or registered
model (grant, revoke, get). Who may call each is in ``rules.py``: admins manage users; a user
reads and changes their own password; whoever MANAGEs a resource grants and revokes on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from labtrack.errors import InvalidParameter, NotFound
from labtrack.tracking_server.auth.users import Identity, Users
from labtrack.tracking_server.protocol import QUERY_METHODS

RESOURCE_TYPES = ("experiment", "registered_model")


def _text(message: dict, name: str) -> str:
    value = message.get(name)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None or value == "":
        raise InvalidParameter(f"Missing value for required parameter '{name}'.")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{name}': expected a string")
    return str(value)


def _flag(message: dict, name: str) -> bool:
    value = message.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidParameter(f"Invalid value {value!r} for parameter '{name}': expected a boolean")


def _user_json(users: Users, username: str) -> dict:
    user = users.store.get_user(username)
    if user is None:
        raise NotFound(f"User with username={username} not found")
    experiments = users.store.experiment_permissions(user.id)
    models = users.store.model_permissions(user.id)
    return {
        "id": user.id,
        "username": user.username,
        "is_admin": user.is_admin,
        "experiment_permissions": [
            {"experiment_id": key, "user_id": user.id, "permission": value}
            for key, value in sorted(experiments.items())
        ],
        "registered_model_permissions": [
            {"name": key, "user_id": user.id, "permission": value}
            for key, value in sorted(models.items())
        ],
    }


def _target(message: dict) -> dict:
    """The resource a permission request names, as ``Users.grant`` takes it."""
    kind, key = _text(message, "resource_type"), _text(message, "resource_id")
    if kind == "experiment":
        return {"experiment_id": key}
    if kind == "registered_model":
        return {"model": key}
    raise InvalidParameter(
        f"Invalid resource_type {kind!r}: labtrack server has permissions on "
        + " and ".join(RESOURCE_TYPES)
    )


def create_user(users: Users, message: dict) -> dict:
    username = _text(message, "username")
    users.add(username, _text(message, "password"))
    return {"user": _user_json(users, username)}


def get_user(users: Users, message: dict) -> dict:
    return {"user": _user_json(users, _text(message, "username"))}


def update_user_password(users: Users, message: dict) -> dict:
    users.set_password(_text(message, "username"), _text(message, "password"))
    return {}


def update_user_admin(users: Users, message: dict) -> dict:
    users.store.set_admin(_text(message, "username"), _flag(message, "is_admin"))
    return {}


def delete_user(users: Users, message: dict) -> dict:
    users.remove(_text(message, "username"))
    return {}


def grant_user_permission(users: Users, message: dict) -> dict:
    target = _target(message)
    users.grant(_text(message, "username"), _text(message, "permission"), **target)
    return {}


def revoke_user_permission(users: Users, message: dict) -> dict:
    users.revoke(_text(message, "username"), **_target(message))
    return {}


def get_user_permission(users: Users, message: dict) -> dict:
    username = _text(message, "username")
    who = users.store.get_user(username)
    if who is None:
        raise NotFound(f"User with username={username} not found")
    identity = Identity(who.id, who.username, who.is_admin)
    target = _target(message)
    permission = (
        users.on_experiment(identity, target["experiment_id"])
        if "experiment_id" in target
        else users.on_model(identity, target["model"])
    )
    return {"allowed": permission.can_read, "permission": permission.name}


# (method, path under /api/<version>/mlflow/, function): MLflow serves users under 2.0 and
# per-resource permissions under 3.0.
ENDPOINTS: list[tuple[str, str, str, Callable[[Users, dict], dict]]] = [
    ("POST", "2.0", "users/create", create_user),
    ("GET", "2.0", "users/get", get_user),
    ("PATCH", "2.0", "users/update-password", update_user_password),
    ("PATCH", "2.0", "users/update-admin", update_user_admin),
    ("DELETE", "2.0", "users/delete", delete_user),
    ("POST", "3.0", "users/permissions/grant", grant_user_permission),
    ("POST", "3.0", "users/permissions/revoke", revoke_user_permission),
    ("GET", "3.0", "users/permissions/get", get_user_permission),
]


def routes(users: Users) -> list[Route]:
    """The routes of the auth API, under ``/api/`` and ``/ajax-api/`` as MLflow has them."""

    def endpoint(function):
        async def call(request: Request) -> JSONResponse:
            if request.method in QUERY_METHODS:
                message = dict(request.query_params)
            else:
                body = await request.body()
                try:
                    message = json.loads(body) if body.strip() else {}
                except ValueError:
                    raise InvalidParameter("the request body is not valid JSON") from None
                if not isinstance(message, dict):
                    raise InvalidParameter("the request body must be a JSON object")
            return JSONResponse(await run_in_threadpool(function, users, message))

        return call

    return [
        Route(f"/{api}/{version}/mlflow/{path}", endpoint(function), methods=[method])
        for method, version, path, function in ENDPOINTS
        for api in ("api", "ajax-api")
    ]
