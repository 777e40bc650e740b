"""Who may do what on ``labtrack server``: users, passwords and tokens, and MLflow's
permissions (READ, EDIT, MANAGE, NO_PERMISSIONS) per experiment and per registered model.

Turned on by ``labtrack server --auth`` (or ``LABTRACK_SERVER_AUTH=1``). Users live in the
backend store's database (``labtrack.store.sql.auth``) and are managed with
``labtrack server users ...``. ``protect(app)`` puts the middleware that checks every request
(``middleware.AuthMiddleware``) in front of the server's app; ``rules.RULES`` is what each route needs.
"""

from __future__ import annotations

from labtrack.env import SERVER_AUTH as AUTH
from labtrack.env import SERVER_DEFAULT_PERMISSION as DEFAULT_PERMISSION


def enabled(flag: bool | None = None) -> bool:
    """Whether the server authenticates: ``flag`` (``--auth``) when given, else
    ``LABTRACK_SERVER_AUTH`` (1/true/yes/on or 0/false/no/off; anything else is an error,
    never a silently open server)."""
    if flag is not None:
        return flag
    value = (AUTH.get() or "0").strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        from labtrack.errors import InvalidParameter

        raise InvalidParameter(f"{AUTH.name}={AUTH.get()!r}: use 1 to require credentials, or 0")
    return value in ("1", "true", "yes", "on")


def protect(app, default_permission: str | None = None):
    """Make ``app`` (the server's, from ``labtrack.tracking_server.app.build_app``) require
    credentials and enforce permissions on every request; returns its ``Users``.

    ``default_permission`` (default: ``LABTRACK_SERVER_DEFAULT_PERMISSION``, READ) is what a
    user may do with a resource they have no grant on. Call it before the app serves.
    """
    from labtrack.tracking_server.auth import endpoints
    from labtrack.tracking_server.auth.middleware import AuthMiddleware
    from labtrack.tracking_server.auth.permissions import get_permission
    from labtrack.tracking_server.auth.users import Users

    service = app.state.service
    users = Users.for_store(
        service.client.store, get_permission(default_permission or DEFAULT_PERMISSION.get())
    )

    app.add_middleware(
        AuthMiddleware, users=users, logged_model_experiment=service.logged_model_experiment
    )
    app.router.routes.extend(endpoints.routes(users))  # MLflow's auth API: users, grants
    return users


def warn_if_no_users(store_uri: str) -> None:
    """Tell whoever starts an authenticating server with no users how to add the first one
    (every request would be refused until then)."""
    import sys

    from labtrack.store import get_store
    from labtrack.store.sql.auth import AuthStore

    if not AuthStore(get_store(store_uri).engine).list_users():
        print(
            "labtrack server: --auth is on and there are no users yet: add one with "
            "`labtrack server users add NAME --admin`",
            file=sys.stderr,
        )
