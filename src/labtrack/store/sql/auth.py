"""Users, their tokens and their permissions, for ``labtrack server --auth``.

Tables of their own, on their own ``MetaData``, beside the store's tables in the same database
(SQLite or PostgreSQL), created when first needed (``create_all(checkfirst=True)``): a store
that never ran an authenticating server has none of them, and the store's schema version
does not change. This module only stores what it is given: password hashes and token digests
are made by ``labtrack.tracking_server.auth``; no secret reaches the database in clear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from labtrack.errors import AlreadyExists, NotFound
from labtrack.store.sql import connection, schema
from labtrack.store.sql.base import now_ms

metadata = sa.MetaData()
_ADVISORY_LOCK_ID = 0x1AB7_A075  # its own: the store's migrations take another

users = sa.Table(
    "labtrack_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(255), nullable=False, unique=True),
    # None: the user signs in with tokens only.
    sa.Column("password_hash", sa.Text),
    sa.Column("is_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("creation_time", sa.BigInteger, nullable=False),
)

tokens = sa.Table(
    "labtrack_user_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    # A digest of the token, never the token: enough to recognise it, useless to a reader.
    sa.Column("digest", sa.String(128), nullable=False, unique=True),
    sa.Column("creation_time", sa.BigInteger, nullable=False),
)

experiment_permissions = sa.Table(
    "labtrack_experiment_permissions",
    metadata,
    sa.Column("experiment_id", sa.String(32), primary_key=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey(users.c.id, ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("permission", sa.String(32), nullable=False),
)

model_permissions = sa.Table(
    "labtrack_registered_model_permissions",
    metadata,
    sa.Column("name", sa.String(256), primary_key=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey(users.c.id, ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("permission", sa.String(32), nullable=False),
)


@dataclass(frozen=True)
class User:
    """A user as stored: ``password_hash`` is None for a user who signs in with tokens only."""

    id: int
    username: str
    password_hash: str | None
    is_admin: bool
    creation_time: int


@dataclass(frozen=True)
class UserSummary:
    """A user as ``labtrack server users list`` shows them: no secret, only counts."""

    username: str
    is_admin: bool
    has_password: bool
    tokens: int
    experiment_grants: dict[str, str]
    model_grants: dict[str, str]


def _user(row) -> User:
    return User(row.id, row.username, row.password_hash, bool(row.is_admin), row.creation_time)


class AuthStore:
    """Users, token digests and per-resource permissions in a store's database.

    ``engine`` is the store's (``SqlStore.engine``); the tables are created on first use.
    """

    def __init__(self, engine: Engine):
        self.engine = engine

        def create(conn: Connection) -> None:
            # Server workers start together: one creates the tables, the others then see them
            # (SQLite's write lock does this; PostgreSQL needs a lock of its own).
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID}
                )
            metadata.create_all(conn, checkfirst=True)

        connection.run_write(engine, create)

    def _write(self, work):
        return connection.run_write(self.engine, work)

    def _user_id(self, conn: Connection, username: str) -> int:
        user_id = conn.execute(sa.select(users.c.id).where(users.c.username == username)).scalar()
        if user_id is None:
            raise NotFound(f"there is no user {username!r}")
        return user_id

    # -- users ---------------------------------------------------------------------------

    def create_user(self, username: str, password_hash: str | None, is_admin: bool) -> User:
        """Add a user; ``AlreadyExists`` if the name is taken."""

        def work(conn: Connection) -> User:
            taken = conn.execute(sa.select(users.c.id).where(users.c.username == username))
            if taken.first() is not None:
                raise AlreadyExists(f"there is already a user {username!r}")
            conn.execute(
                users.insert().values(
                    username=username,
                    password_hash=password_hash,
                    is_admin=is_admin,
                    creation_time=now_ms(),
                )
            )
            return _user(conn.execute(sa.select(users).where(users.c.username == username)).one())

        return self._write(work)

    def get_user(self, username: str) -> User | None:
        """The user named ``username``, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        return None if row is None else _user(row)

    def user_for_token(self, digest: str) -> User | None:
        """The user holding the token whose digest is ``digest``, or None."""
        query = sa.select(users).join(tokens, tokens.c.user_id == users.c.id)
        with self.engine.connect() as conn:
            row = conn.execute(query.where(tokens.c.digest == digest)).first()
        return None if row is None else _user(row)

    def set_password(self, username: str, password_hash: str | None) -> None:
        """Replace a user's password hash (None: tokens only); ``NotFound`` for no such user."""

        def work(conn: Connection) -> None:
            user_id = self._user_id(conn, username)
            conn.execute(
                users.update().where(users.c.id == user_id).values(password_hash=password_hash)
            )

        self._write(work)

    def set_admin(self, username: str, is_admin: bool) -> None:
        """Make a user an admin or not; ``NotFound`` for no such user."""

        def work(conn: Connection) -> None:
            user_id = self._user_id(conn, username)
            conn.execute(users.update().where(users.c.id == user_id).values(is_admin=is_admin))

        self._write(work)

    def delete_user(self, username: str) -> None:
        """Remove a user with their tokens and grants; ``NotFound`` for no such user."""

        def work(conn: Connection) -> None:
            user_id = self._user_id(conn, username)
            # Explicit deletes: SQLite enforces ON DELETE CASCADE only with foreign keys on.
            for table in (tokens, experiment_permissions, model_permissions):
                conn.execute(table.delete().where(table.c.user_id == user_id))
            conn.execute(users.delete().where(users.c.id == user_id))

        self._write(work)

    def list_users(self) -> list[UserSummary]:
        """Every user, by name, with their grants and how many tokens they hold."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
            counts = dict(
                conn.execute(
                    sa.select(tokens.c.user_id, sa.func.count()).group_by(tokens.c.user_id)
                ).all()
            )
            grants: dict[int, tuple[dict[str, str], dict[str, str]]] = {
                row.id: ({}, {}) for row in rows
            }
            for user_id, key, permission in conn.execute(
                sa.select(
                    experiment_permissions.c.user_id,
                    experiment_permissions.c.experiment_id,
                    experiment_permissions.c.permission,
                )
            ):
                grants[user_id][0][key] = permission
            for user_id, key, permission in conn.execute(
                sa.select(
                    model_permissions.c.user_id,
                    model_permissions.c.name,
                    model_permissions.c.permission,
                )
            ):
                grants[user_id][1][key] = permission
        return [
            UserSummary(
                row.username,
                bool(row.is_admin),
                row.password_hash is not None,
                counts.get(row.id, 0),
                *grants[row.id],
            )
            for row in rows
        ]

    def add_token(self, username: str, digest: str) -> None:
        """Record a new token (by its digest) for ``username``; ``NotFound`` for no such user."""

        def work(conn: Connection) -> None:
            user_id = self._user_id(conn, username)
            conn.execute(
                tokens.insert().values(user_id=user_id, digest=digest, creation_time=now_ms())
            )

        self._write(work)

    def revoke_tokens(self, username: str) -> int:
        """Remove every token of ``username``; returns how many there were."""

        def work(conn: Connection) -> int:
            user_id = self._user_id(conn, username)
            return conn.execute(tokens.delete().where(tokens.c.user_id == user_id)).rowcount

        return self._write(work)

    # -- permissions ---------------------------------------------------------------------

    def _grant(self, table: sa.Table, key_column: str, username: str, key: str, permission: str):
        def work(conn: Connection) -> None:
            user_id = self._user_id(conn, username)
            statement = connection.upsert(conn, table).values(
                {key_column: key, "user_id": user_id, "permission": permission}
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[key_column, "user_id"], set_={"permission": permission}
                )
            )

        self._write(work)

    def _revoke(self, table: sa.Table, key_column: str, username: str, key: str) -> None:
        def work(conn: Connection) -> None:
            user_id = self._user_id(conn, username)
            deleted = conn.execute(
                table.delete().where(table.c[key_column] == key, table.c.user_id == user_id)
            ).rowcount
            if not deleted:
                raise NotFound(f"user {username!r} has no permission of their own on {key!r}")

        self._write(work)

    def grant_experiment(self, username: str, experiment_id: str, permission: str) -> None:
        """Set ``username``'s permission on an experiment (replacing any earlier one)."""
        self._grant(experiment_permissions, "experiment_id", username, experiment_id, permission)

    def grant_model(self, username: str, name: str, permission: str) -> None:
        """Set ``username``'s permission on a registered model (replacing any earlier one)."""
        self._grant(model_permissions, "name", username, name, permission)

    def revoke_experiment(self, username: str, experiment_id: str) -> None:
        """Remove ``username``'s own permission on an experiment (the default applies again)."""
        self._revoke(experiment_permissions, "experiment_id", username, experiment_id)

    def revoke_model(self, username: str, name: str) -> None:
        """Remove ``username``'s own permission on a registered model."""
        self._revoke(model_permissions, "name", username, name)

    def experiment_permission(self, user_id: int, experiment_id: str) -> str | None:
        """The permission granted to the user on the experiment, or None (none granted)."""
        p = experiment_permissions
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(p.c.permission).where(
                    p.c.user_id == user_id, p.c.experiment_id == experiment_id
                )
            ).scalar()

    def model_permission(self, user_id: int, name: str) -> str | None:
        """The permission granted to the user on the registered model, or None."""
        p = model_permissions
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(p.c.permission).where(p.c.user_id == user_id, p.c.name == name)
            ).scalar()

    def experiment_permissions(self, user_id: int) -> dict[str, str]:
        """Every experiment permission granted to the user: experiment id -> permission."""
        p = experiment_permissions
        with self.engine.connect() as conn:
            query = sa.select(p.c.experiment_id, p.c.permission).where(p.c.user_id == user_id)
            return dict(conn.execute(query).all())

    def model_permissions(self, user_id: int) -> dict[str, str]:
        """Every registered-model permission granted to the user: name -> permission."""
        p = model_permissions
        with self.engine.connect() as conn:
            query = sa.select(p.c.name, p.c.permission).where(p.c.user_id == user_id)
            return dict(conn.execute(query).all())

    def rename_model(self, name: str, new_name: str) -> None:
        """Move the permissions on a registered model to its new name."""
        p = model_permissions
        self._write(
            lambda conn: conn.execute(p.update().where(p.c.name == name).values(name=new_name))
        )

    def forget_model(self, name: str) -> None:
        """Drop the permissions on a registered model that was deleted."""
        p = model_permissions
        self._write(lambda conn: conn.execute(p.delete().where(p.c.name == name)))

    # -- the resources requests name -----------------------------------------------------

    def experiment_of_run(self, run_id: str) -> str | None:
        """The experiment id of run ``run_id``, or None if there is no such run."""
        r = schema.runs
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(r.c.experiment_id).where(r.c.run_uuid == run_id))
            value = found.scalar()
        return None if value is None else str(value)

    def experiment_exists(self, experiment_id: str) -> bool:
        """Whether there is an experiment ``experiment_id`` (deleted ones included)."""
        e = schema.experiments
        # ASCII digits in the column's range: int() of "²" fails, and of 10**20 overflows.
        if not re.fullmatch(r"[0-9]{1,10}", str(experiment_id)) or int(experiment_id) >= 2**31:
            return False
        with self.engine.connect() as conn:
            query = sa.select(e.c.experiment_id).where(e.c.experiment_id == int(experiment_id))
            return conn.execute(query).first() is not None

    def model_exists(self, name: str) -> bool:
        """Whether there is a registered model called ``name``."""
        m = schema.registered_models
        with self.engine.connect() as conn:
            return conn.execute(sa.select(m.c.id).where(m.c.name == name)).first() is not None

    def experiment_named(self, name: str) -> str | None:
        """The id of the experiment called ``name``, or None."""
        e = schema.experiments
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(e.c.experiment_id).where(e.c.name == name)).scalar()
        return None if value is None else str(value)
