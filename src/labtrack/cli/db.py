"""``labtrack db check | upgrade | backup``: look after the store's database itself."""

from __future__ import annotations

import argparse
from pathlib import Path

from labtrack import env
from labtrack.errors import InvalidParameter, NotFound
from labtrack.store.spool import display_uri


def add_commands(sub) -> None:
    p = sub.add_parser("db", help="check, upgrade or back up the store's database")
    actions = p.add_subparsers(dest="db_action", required=True, metavar="ACTION")

    a = actions.add_parser(
        "check",
        help="check the database for damage (SQLite: reads every page) and its schema version; "
        "exit 1 if it is damaged or needs `labtrack db upgrade`",
    )
    a.set_defaults(func=check)

    a = actions.add_parser("upgrade", help="bring an older store's schema up to this labtrack's")
    a.set_defaults(func=upgrade)

    a = actions.add_parser(
        "backup",
        help="copy a SQLite store into DEST, consistently, even while other processes write to it",
        description="Copy a SQLite store with SQLite's online backup API: one consistent snapshot as "
        "of when the copy starts, safe while other processes write. Artifacts are "
        "plain files in the store's artifacts folder: copy them as files. "
        "For PostgreSQL, use pg_dump.",
    )
    a.add_argument("dest", type=Path, help="file to write (or an existing folder to write it in)")
    a.add_argument("--force", action="store_true", help="replace DEST if it exists")
    a.set_defaults(func=backup)


def check(args: argparse.Namespace) -> int:
    """Integrity first (a damaged file's schema version means nothing), then the version."""
    from labtrack.store.sql import connection, migrations, schema

    uri = env.resolve_tracking_uri(args.tracking_uri)
    shown = display_uri(uri)  # never the password
    path = connection.sqlite_path(uri)
    if path is not None and not path.exists():
        print(f"{shown}: no store yet; labtrack creates it on first use")
        return 0
    engine = connection.create_engine(uri)
    try:
        file = connection.sqlite_file(engine)
        if file is None:
            integrity = "integrity not checked (the database server checks its own pages)"
        else:
            problems = connection.integrity_problems(file)
            if problems:
                print(f"{shown}: DAMAGED. SQLite's integrity check found:")
                for line in problems:
                    print(f"  {line}")
                print(
                    "Restore the file from a backup, or move it aside to start a new store; "
                    "`labtrack db backup` copies what can still be read."
                )
                return 1
            integrity = "integrity ok"
        version = migrations.current_version(engine)
        migrations.check_version(version)
        if version is None:
            state, verdict = "empty", "tables are created on first use"
        else:
            state = f"schema version {version}"
            verdict = (
                "up to date" if version == schema.SCHEMA_VERSION else "needs `labtrack db upgrade`"
            )
        print(f"{shown}: {integrity}; {state}; labtrack {schema.SCHEMA_VERSION}: {verdict}")
        return 0 if version in (None, schema.SCHEMA_VERSION) else 1
    finally:
        engine.dispose()


def upgrade(args: argparse.Namespace) -> int:
    from labtrack.store.sql import connection, migrations

    uri = env.resolve_tracking_uri(args.tracking_uri)
    engine = connection.create_engine(uri)
    try:
        before, after = migrations.upgrade(engine)
    finally:
        engine.dispose()
    shown = display_uri(uri)
    print(
        f"{shown}: schema version {before} -> {after}"
        if before != after
        else f"{shown}: already at version {after}"
    )
    return 0


def backup(args: argparse.Namespace) -> int:
    from labtrack.store.sql import connection

    uri = env.resolve_tracking_uri(args.tracking_uri)
    if connection.backend_name(uri) == "postgresql":
        shown = display_uri(uri).replace("postgresql+psycopg://", "postgresql://")
        raise InvalidParameter(
            "labtrack db backup copies SQLite stores; back up a PostgreSQL store with pg_dump, "
            f"e.g. pg_dump --format=custom --file {args.dest} '{shown}'"
        )
    path = connection.sqlite_path(uri)
    if path is None:
        raise InvalidParameter(f"{uri} is an in-memory store: there is no file to back up")
    if not path.exists():
        raise NotFound(f"there is no store at {path} to back up")
    engine = connection.create_engine(uri)
    try:
        file = connection.sqlite_file(engine)
        written = connection.backup(file, args.dest, overwrite=args.force)
    finally:
        engine.dispose()
    print(
        f"backed up {file.path} to {written} (integrity ok); "
        "artifacts are plain files in the artifacts folder next to it: copy them as files"
    )
    return 0
