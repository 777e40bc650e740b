"""Users of an authenticating server: passwords (Argon2), tokens (stored as digests),
permissions per experiment and registered model, in the store's own database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import labtrack as lt
from labtrack.errors import AlreadyExists, InvalidParameter, NotFound
from labtrack.store import get_store
from labtrack.tracking_server.auth.permissions import EDIT, MANAGE, NO_PERMISSIONS, READ
from labtrack.tracking_server.auth.users import Users

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tracking_uri):
    return get_store(tracking_uri)


@pytest.fixture
def users(store):
    return Users.for_store(store)


def _database_text(store) -> str:
    """Every value in every table of the store's database, as one string."""
    texts = []
    with store.engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                texts.extend(str(value) for value in row)
    return "\n".join(texts)


def test_a_password_is_checked_against_an_argon2_hash_and_never_stored(users, store):
    users.add("ada", PASSWORD)
    who = users.authenticate_password("ada", PASSWORD)
    assert who is not None and who.username == "ada" and not who.is_admin
    assert users.authenticate_password("ada", PASSWORD + "!") is None
    assert users.authenticate_password("nobody", PASSWORD) is None
    assert users.store.get_user("ada").password_hash.startswith("$argon2id$")
    assert PASSWORD not in _database_text(store)


def test_a_token_works_until_revoked_and_only_its_digest_is_stored(users, store):
    users.add("bot", None)
    token = users.new_token("bot")
    assert token.startswith("lt_") and len(token) > 40
    assert users.authenticate_token(token).username == "bot"
    assert users.authenticate_token(token[:-1] + "x") is None
    assert users.authenticate_password("bot", "") is None  # tokens only: no password works
    assert token not in _database_text(store)
    assert users.store.revoke_tokens("bot") == 1
    assert users.authenticate_token(token) is None


def test_a_new_password_or_a_removed_user_counts_at_once(users):
    users.add("ada", PASSWORD)
    token = users.new_token("ada")
    assert users.authenticate_password("ada", PASSWORD) is not None  # now remembered
    users.set_password("ada", "another password")
    assert users.authenticate_password("ada", PASSWORD) is None
    assert users.authenticate_password("ada", "another password") is not None
    users.remove("ada")
    assert users.authenticate_password("ada", "another password") is None
    assert users.authenticate_token(token) is None
    assert users.summaries() == []


def test_permissions_default_grants_and_admins(store):
    experiment_id = lt.create_experiment("shared")
    lt.Client().create_registered_model("iris")
    users = Users.for_store(store, default_permission=READ)
    reader = users.store.create_user("reader", None, False)
    users.add("editor", None)
    users.add("root", None, admin=True)
    editor = users.authenticate_token(users.new_token("editor"))
    root = users.authenticate_token(users.new_token("root"))
    reader = users.authenticate_token(users.new_token(reader.username))

    assert users.on_experiment(reader, experiment_id) is READ  # the default
    users.grant("editor", "edit", experiment_id=experiment_id)
    assert users.on_experiment(editor, experiment_id) is EDIT
    users.grant("editor", NO_PERMISSIONS, model="iris")
    assert users.on_model(editor, "iris") is NO_PERMISSIONS
    assert users.on_model(root, "iris") is MANAGE  # admins may do everything
    users.store.grant_experiment("root", experiment_id, "NO_PERMISSIONS")
    assert users.on_experiment(root, experiment_id) is MANAGE  # even with NO_PERMISSIONS set

    strict = Users(users.store, default_permission=NO_PERMISSIONS)
    assert not strict.on_experiment(reader, experiment_id).can_read
    assert strict.readable_experiments(editor)(experiment_id)
    assert not strict.readable_experiments(reader)(experiment_id)

    users.revoke("editor", experiment_id=experiment_id)
    assert users.on_experiment(editor, experiment_id) is READ
    with pytest.raises(NotFound, match="no permission of their own"):
        users.revoke("editor", experiment_id=experiment_id)

    listed = {u.username: u for u in users.summaries()}
    assert listed["root"].is_admin and not listed["editor"].is_admin
    assert listed["editor"].model_grants == {"iris": "NO_PERMISSIONS"}
    assert listed["editor"].tokens == 1 and not listed["editor"].has_password


def test_every_spelling_of_an_experiment_id_finds_its_grant(store):
    """The store reads experiment ids with int(): "01" is experiment 1, so a NO_PERMISSIONS
    grant on it must hold whichever way a request spells the id (default here: READ)."""
    experiment_id = lt.create_experiment("private")
    users = Users.for_store(store, default_permission=READ)
    users.add("eve", None)
    eve = users.authenticate_token(users.new_token("eve"))
    users.grant("eve", "NO_PERMISSIONS", experiment_id=f"0{experiment_id}")
    for spelling in (experiment_id, f"0{experiment_id}", f" {experiment_id} ", f"+{experiment_id}"):
        assert users.on_experiment(eve, spelling) is NO_PERMISSIONS, spelling
        assert not users.readable_experiments(eve)(spelling)
    assert users.store.experiment_permissions(eve.user_id) == {experiment_id: "NO_PERMISSIONS"}


def test_processes_opening_a_new_store_at_once_create_the_tables_once(tracking_uri):
    """Server workers start together: each creates the user tables if they are missing."""
    import threading

    from labtrack.store.sql import connection
    from labtrack.store.sql.auth import AuthStore

    get_store(tracking_uri)  # the store's own tables, as the server opens it first
    engines = [connection.create_engine(tracking_uri) for _ in range(4)]
    start, errors = threading.Barrier(len(engines)), []

    def open_auth(engine):
        start.wait()
        try:
            AuthStore(engine)
        except Exception as error:  # collected, and shown by the assert below
            errors.append(error)

    threads = [threading.Thread(target=open_auth, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert errors == []


def test_renamed_and_deleted_models_take_their_permissions_along(users):
    users.add("ada", None)
    who = users.authenticate_token(users.new_token("ada"))
    users.created_model(who, "iris")
    users.store.rename_model("iris", "flowers")
    assert users.store.model_permissions(who.user_id) == {"flowers": "MANAGE"}
    users.store.forget_model("flowers")
    assert users.store.model_permissions(who.user_id) == {}


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "cannot be empty"),
        ("a b", "spaces"),
        ("a:b", "':'"),
        ("x" * 256, "at most 255"),
    ],
)
def test_bad_user_names_are_refused_with_the_reason(users, name, message):
    with pytest.raises(InvalidParameter, match=message):
        users.add(name, PASSWORD)


def test_short_passwords_duplicates_and_unknown_permissions_are_refused(users):
    with pytest.raises(InvalidParameter, match="at least 8 characters"):
        users.add("ada", "short")
    users.add("ada", PASSWORD)
    with pytest.raises(AlreadyExists, match="already a user 'ada'"):
        users.add("ada", PASSWORD)
    with pytest.raises(InvalidParameter, match="unknown permission 'OWNER'"):
        users.grant("ada", "OWNER", experiment_id="0")
    with pytest.raises(NotFound, match="no user 'bob'"):
        users.grant("bob", "READ", experiment_id="0")
    with pytest.raises(NotFound, match="no user 'bob'"):
        users.new_token("bob")
    with pytest.raises(NotFound, match="no experiment with id '99'"):
        users.grant("ada", "READ", experiment_id="99")
    with pytest.raises(NotFound, match="no registered model 'nope'"):
        users.grant("ada", "READ", model="nope")
