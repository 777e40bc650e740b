"""Who may do what on ``labtrack server``: users, passwords and tokens, and MLflow's
permissions (READ, EDIT, MANAGE, NO_PERMISSIONS) per experiment and per registered model.

Turned on by ``labtrack server --auth`` (or ``LABTRACK_SERVER_AUTH=1``). Users live in the
backend store's database (``labtrack.store.sql.auth``) and are managed with
``labtrack server users ...``. ``middleware(store)`` gives the Starlette middleware that
checks every request (``middleware.AuthMiddleware``); ``rules.RULES`` is what each route needs.
"""

from __future__ import annotations

from labtrack.env import EnvVar

AUTH = EnvVar(
    "LABTRACK_SERVER_AUTH",
    "0",
    "Set to 1 to make `labtrack server` require credentials and enforce permissions (--auth).",
)
DEFAULT_PERMISSION = EnvVar(
    "LABTRACK_SERVER_DEFAULT_PERMISSION",
    "READ",
    "What a signed-in user may do with an experiment or registered model they have no grant "
    "on: READ (MLflow's default), EDIT, MANAGE or NO_PERMISSIONS (--default-permission).",
)


def enabled(flag: bool | None = None) -> bool:
    """Whether the server authenticates: ``flag`` (``--auth``) when given, else
    ``LABTRACK_SERVER_AUTH``."""
    if flag is not None:
        return flag
    return (AUTH.get() or "0").strip().lower() in ("1", "true", "yes", "on")


def middleware(store, default_permission: str | None = None):
    """The Starlette ``Middleware`` that authenticates and authorizes every request to an app
    serving ``store`` (a ``SqlStore``); ``default_permission`` defaults to
    ``LABTRACK_SERVER_DEFAULT_PERMISSION`` (READ)."""
    from starlette.middleware import Middleware

    from labtrack.tracking_server.auth.middleware import AuthMiddleware
    from labtrack.tracking_server.auth.permissions import get_permission
    from labtrack.tracking_server.auth.users import Users

    permission = get_permission(default_permission or DEFAULT_PERMISSION.get())
    return Middleware(AuthMiddleware, users=Users.for_store(store, permission))
