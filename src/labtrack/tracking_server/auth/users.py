"""Users of an authenticating ``labtrack server``: passwords, tokens, and what each user may do.

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher``, salted, with its
recommended cost). Tokens are 256 random bits, shown once when made; the database keeps
only their SHA-256 digest, which is enough to recognise a token (it has too much entropy to
be guessed from its digest) and needs no slow hash on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

from labtrack.errors import InvalidParameter, NotFound
from labtrack.store.sql.auth import AuthStore, User, UserSummary
from labtrack.tracking_server.auth.permissions import (
    MANAGE,
    PERMISSIONS,
    READ,
    Permission,
    get_permission,
)
from labtrack.tracking_server.protocol import experiment_id as checked_experiment_id

TOKEN_PREFIX = "lt_"
MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 255
# Verified (username, password) pairs kept in memory, so that a client sending basic auth
# on every request pays for Argon2 once, not per request (see Users._verified).
_CACHE_SIZE = 1024


def token_digest(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def experiment_key(experiment_id: str | int) -> str:
    """An experiment id as the store reads it (``int()``): "01", " 1" and "+1" all name
    experiment 1, so a permission on "1" must be found for each of them."""
    try:
        return str(int(experiment_id))
    except (TypeError, ValueError):
        return str(experiment_id)  # names no experiment: the route refuses it


def check_username(username: str) -> str:
    """``username`` if it can name a user; ``InvalidParameter`` saying why not otherwise."""
    if not isinstance(username, str) or not username.strip():
        raise InvalidParameter("a user name cannot be empty")
    if username != username.strip() or any(c.isspace() or not c.isprintable() for c in username):
        raise InvalidParameter(f"user name {username!r} has spaces or unprintable characters")
    if ":" in username:  # HTTP basic auth separates the name from the password with ':'
        raise InvalidParameter(
            f"user name {username!r} contains ':', which HTTP basic auth cannot carry"
        )
    if len(username) > MAX_USERNAME_LENGTH:
        raise InvalidParameter(f"a user name has at most {MAX_USERNAME_LENGTH} characters")
    return username


def check_password(password: str) -> str:
    """``password`` if it is acceptable; ``InvalidParameter`` saying why not (never showing it)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidParameter(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


@dataclass(frozen=True)
class Identity:
    """Who a request comes from."""

    user_id: int
    username: str
    is_admin: bool


class Users:
    """Users, their credentials and permissions in one store's database, and the decisions
    the server makes with them: who a request is from, and what they may do.

    ``default_permission`` applies to a resource on which the user has no grant of their own
    (MLflow's default, ``READ``). Admins may do everything.
    """

    def __init__(self, auth_store: AuthStore, default_permission: Permission = READ):
        from argon2 import PasswordHasher

        self.store = auth_store
        self.default_permission = default_permission
        self._hasher = PasswordHasher()
        # Verifying a password against a made-up hash when the user does not exist takes as
        # long as against a real one: timing does not tell which names exist.
        self._decoy_hash = self._hasher.hash(secrets.token_hex(16))
        self._cache_key = secrets.token_bytes(32)
        self._verified: dict[bytes, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_store(cls, store, default_permission: Permission = READ) -> Users:
        """The users of ``store`` (a ``SqlStore``), creating their tables if needed."""
        return cls(AuthStore(store.engine), default_permission)

    # -- managing users ------------------------------------------------------------------

    def add(self, username: str, password: str | None, admin: bool = False) -> User:
        """Add a user; ``password=None`` makes one who signs in with tokens only."""
        check_username(username)
        digest = None if password is None else self._hasher.hash(check_password(password))
        return self.store.create_user(username, digest, admin)

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password."""
        self.store.set_password(username, self._hasher.hash(check_password(password)))

    def new_token(self, username: str) -> str:
        """Make a token for ``username`` and return it: the only time it is ever seen."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.store.add_token(username, token_digest(token))
        return token

    def remove(self, username: str) -> None:
        """Remove a user, their tokens and their grants."""
        self.store.delete_user(username)

    def summaries(self) -> list[UserSummary]:
        """Every user with their grants (no secrets)."""
        return self.store.list_users()

    def grant(
        self,
        username: str,
        permission: str | Permission,
        *,
        experiment_id: str | None = None,
        model: str | None = None,
    ) -> None:
        """Give ``username`` ``permission`` on one experiment or one registered model;
        ``NotFound`` if there is no such user or resource."""
        if (experiment_id is None) == (model is None):
            raise InvalidParameter("grant a permission on one experiment or one registered model")
        name = permission.name if isinstance(permission, Permission) else permission
        name = get_permission(name).name
        if experiment_id is not None:
            experiment_id = checked_experiment_id(experiment_id, "resource_id")
            if not self.store.experiment_exists(experiment_id):
                raise NotFound(f"there is no experiment with id {str(experiment_id)!r}")
            self.store.grant_experiment(username, experiment_key(experiment_id), name)
        else:
            if not self.store.model_exists(model):
                raise NotFound(f"there is no registered model {model!r}")
            self.store.grant_model(username, model, name)

    def revoke(
        self, username: str, *, experiment_id: str | None = None, model: str | None = None
    ) -> None:
        """Remove ``username``'s own permission on an experiment or registered model."""
        if (experiment_id is None) == (model is None):
            raise InvalidParameter("revoke a permission on one experiment or one registered model")
        if experiment_id is not None:
            self.store.revoke_experiment(username, experiment_key(experiment_id))
        else:
            self.store.revoke_model(username, model)

    # -- authenticating ------------------------------------------------------------------

    def authenticate_password(self, username: str, password: str) -> Identity | None:
        """The identity of ``username`` if ``password`` is theirs, else None."""
        from argon2.exceptions import InvalidHashError, VerificationError

        user = self.store.get_user(username)
        stored = user.password_hash if user is not None else None
        key = hmac.new(self._cache_key, f"{username}\0{password}".encode(), "sha256").digest()
        # A cached pair counts only while the stored hash is the one it was checked against:
        # a new password or a removed user takes effect at the next request.
        if stored is not None and self._verified.get(key) == stored:
            return _identity(user)
        try:
            self._hasher.verify(stored or self._decoy_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if stored is None:
            return None
        with self._lock:
            if len(self._verified) >= _CACHE_SIZE:
                self._verified.clear()
            self._verified[key] = stored
        return _identity(user)

    def authenticate_token(self, token: str) -> Identity | None:
        """The identity of the user holding ``token``, else None."""
        user = self.store.user_for_token(token_digest(token))
        return None if user is None else _identity(user)

    # -- authorizing ---------------------------------------------------------------------

    def _effective(self, who: Identity, granted: str | None) -> Permission:
        if who.is_admin:
            return MANAGE
        return PERMISSIONS[granted] if granted in PERMISSIONS else self.default_permission

    def on_experiment(self, who: Identity, experiment_id: str) -> Permission:
        """What ``who`` may do with an experiment and its runs."""
        if who.is_admin:
            return MANAGE
        key = experiment_key(experiment_id)
        return self._effective(who, self.store.experiment_permission(who.user_id, key))

    def on_model(self, who: Identity, name: str) -> Permission:
        """What ``who`` may do with a registered model and its versions."""
        if who.is_admin:
            return MANAGE
        return self._effective(who, self.store.model_permission(who.user_id, name))

    def readable_experiments(self, who: Identity):
        """A test ``experiment_id -> bool``: may ``who`` read it (one query, for filtering)."""
        readable = self._readable(who, self.store.experiment_permissions)
        return lambda experiment_id: readable(experiment_key(experiment_id))

    def readable_models(self, who: Identity):
        """A test ``name -> bool``: may ``who`` read the registered model."""
        return self._readable(who, self.store.model_permissions)

    def _readable(self, who: Identity, grants_of):
        if who.is_admin:
            return lambda key: True
        grants = grants_of(who.user_id)
        return lambda key: self._effective(who, grants.get(str(key))).can_read

    def created_experiment(self, who: Identity, experiment_id: str) -> None:
        """The creator of an experiment manages it."""
        self.store.grant_experiment(who.username, experiment_key(experiment_id), MANAGE.name)

    def created_model(self, who: Identity, name: str) -> None:
        """The creator of a registered model manages it."""
        self.store.grant_model(who.username, name, MANAGE.name)


def _identity(user: User) -> Identity:
    return Identity(user.id, user.username, user.is_admin)
