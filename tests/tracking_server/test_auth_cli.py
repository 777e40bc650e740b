"""``labtrack server users ...``: add, token, grant, revoke, list, remove; passwords read from
standard input or a prompt, never printed; the one token printed is the new one."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.store import get_store
from labtrack.tracking_server.auth.users import Users

PASSWORD = "s3cret-enough"


@pytest.fixture
def users_cli(tracking_uri, capsys, monkeypatch):
    """Run ``labtrack server users ARGS`` on the test store; returns (exit code, stdout, stderr)."""

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["server", "users", "--backend-store-uri", tracking_uri, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _users(tracking_uri) -> Users:
    return Users.for_store(get_store(tracking_uri))


def test_add_reads_the_password_from_stdin_and_never_prints_it(tracking_uri, users_cli):
    code, out, err = users_cli("add", "ada", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and out.strip() == "added user ada"
    assert PASSWORD not in out + err
    assert _users(tracking_uri).authenticate_password("ada", PASSWORD).username == "ada"
    code, out, _ = users_cli("add", "root", "--admin", "--password-stdin", stdin=PASSWORD)
    assert code == 0 and out.strip() == "added admin root"
    assert _users(tracking_uri).authenticate_password("root", PASSWORD).is_admin


def test_a_token_is_printed_once_and_only_its_digest_is_kept(tracking_uri, users_cli):
    users_cli("add", "bot", "--no-password")
    code, out, err = users_cli("token", "bot")
    token = out.strip()
    assert code == 0 and token.startswith("lt_") and "\n" not in token
    assert "shown once" in err
    assert _users(tracking_uri).authenticate_token(token).username == "bot"
    code, out, _ = users_cli("list")
    assert token not in out and "bot\tuser\t1 token(s)" in out
    code, out, _ = users_cli("token", "bot", "--revoke")
    assert out.strip() == "revoked 1 token of bot"
    assert _users(tracking_uri).authenticate_token(token) is None


def test_grant_revoke_list_and_remove(tracking_uri, users_cli):
    experiment_id = lt.create_experiment("shared")
    lt.Client().create_registered_model("iris")
    users_cli("add", "ada", "--password-stdin", stdin=PASSWORD)
    code, out, _ = users_cli("grant", "ada", "--experiment", experiment_id, "--permission", "edit")
    assert code == 0 and out.strip() == f"ada has EDIT on experiment {experiment_id}"
    users_cli("grant", "ada", "--model", "iris", "--permission", "MANAGE")
    code, out, _ = users_cli("list")
    assert out.splitlines() == [
        "ada\tuser\tpassword",
        f"  experiment {experiment_id}: EDIT",
        "  model iris: MANAGE",
    ]
    assert "$argon2" not in out
    code, out, _ = users_cli("admin", "ada")
    assert code == 0 and out.strip() == "ada is an admin"
    assert _users(tracking_uri).authenticate_password("ada", PASSWORD).is_admin
    code, out, _ = users_cli("admin", "ada", "--revoke")
    assert out.strip() == "ada is no longer an admin"
    assert not _users(tracking_uri).authenticate_password("ada", PASSWORD).is_admin
    code, out, _ = users_cli("revoke", "ada", "--model", "iris")
    assert code == 0 and "no permission of their own on model iris" in out
    code, out, _ = users_cli("remove", "ada")
    assert code == 0 and out.strip() == "removed user ada"
    code, out, _ = users_cli("list")
    assert "no users yet" in out


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (("add", "ada"), "", "no terminal to ask for the password: pass --password-stdin"),
        (("add", "ada", "--password-stdin"), "", "standard input is empty"),
        (("add", "ada", "--password-stdin"), "short\n", "at least 8 characters"),
        (("add", "a:b", "--no-password"), "", "contains ':'"),
        (("token", "nobody"), "", "there is no user 'nobody'"),
        (("admin", "nobody"), "", "there is no user 'nobody'"),
        (("grant", "nobody", "--experiment", "0", "--permission", "READ"), "", "no user 'nobody'"),
        (
            ("grant", "x", "--experiment", "99", "--permission", "READ"),
            "",
            "no experiment with id '99'",
        ),
        (
            ("grant", "x", "--model", "nope", "--permission", "READ"),
            "",
            "no registered model 'nope'",
        ),
    ],
)
def test_bad_input_is_a_clear_error(users_cli, args, stdin, message):
    code, out, err = users_cli(*args, stdin=stdin)
    assert code == 2 and message in err, err
    assert "Traceback" not in err


def test_an_unknown_permission_is_refused_by_the_parser(users_cli):
    with pytest.raises(SystemExit) as exit_:
        users_cli("grant", "ada", "--experiment", "0", "--permission", "OWNER")
    assert exit_.value.code == 2


def test_users_live_in_a_database_not_behind_a_url(capsys):
    code = main(["server", "users", "--backend-store-uri", "http://127.0.0.1:5000", "list"])
    assert code == 2 and "users live in the server's database" in capsys.readouterr().err


def test_the_command_line_as_a_process(tracking_uri):
    """The installed entry point, with the password on a pipe as a script would give it."""
    done = subprocess.run(
        [sys.executable, "-m", "labtrack.cli", "--tracking-uri", tracking_uri]
        + ["server", "users", "add", "ci", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert _users(tracking_uri).authenticate_password("ci", PASSWORD) is not None


def test_users_made_before_the_server_put_the_default_experiment_in_its_destination(
    tmp_path, capsys, monkeypatch
):
    """`labtrack server users` may make the store: its Default experiment must keep its
    artifacts in the server's destination, and a server finding it elsewhere says so."""
    from labtrack.tracking_server.server import warn_if_default_experiment_outside

    monkeypatch.delenv("LABTRACK_ARTIFACTS_URI", raising=False)  # restored after the test
    destination = tmp_path / "destination"
    uri = f"sqlite:///{tmp_path / 'made-by-users.db'}"
    command = ["server", "users", "--backend-store-uri", uri]
    assert main([*command, "--artifacts-destination", str(destination), "list"]) == 0
    location = lt.Client(uri).get_experiment("0").artifact_location
    assert location.startswith(str(destination)), location
    assert not warn_if_default_experiment_outside(uri, str(destination))
    elsewhere = f"sqlite:///{tmp_path / 'made-without.db'}"
    monkeypatch.delenv("LABTRACK_ARTIFACTS_URI")
    assert main(["server", "users", "--backend-store-uri", elsewhere, "list"]) == 0
    capsys.readouterr()
    assert warn_if_default_experiment_outside(elsewhere, str(destination))
    assert "WARNING: the Default experiment (0)" in capsys.readouterr().err
