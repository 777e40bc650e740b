"""``labtrack server users ...``: the users of an authenticating ``labtrack server`` (``--auth``),
their tokens and permissions, kept in the backend store's database.

Passwords are read from a terminal prompt or, with ``--password-stdin``, from the first line
of standard input; they are never printed or logged. ``users token`` prints a new token once:
only its digest is kept, so a lost token is replaced, not recovered.
"""

from __future__ import annotations

import argparse
import os
import sys

from labtrack.errors import InvalidParameter, NotFound


def add_users_command(server_actions) -> None:
    """Add ``users`` to the subcommands of ``labtrack server`` (its ``add_subparsers()``)."""
    p = server_actions.add_parser(
        "users",
        help="manage who may use the server (with --auth): users, tokens, permissions",
        description="Users of `labtrack server --auth`, their tokens and their permissions per "
        "experiment and registered model, kept in the server's database. Passwords are read "
        "from a prompt or, with --password-stdin, from standard input, and never printed; "
        "`users token` prints a new token once (only its digest is kept).",
    )
    # SUPPRESS: never overwrite a --backend-store-uri given to `labtrack server` itself.
    p.add_argument(
        "--backend-store-uri",
        default=argparse.SUPPRESS,
        help="the server's store (default: --tracking-uri, LABTRACK_TRACKING_URI, ~/.labtrack)",
    )
    p.add_argument(
        "--artifacts-destination",
        default=argparse.SUPPRESS,
        help="the server's artifacts destination (default: LABTRACK_ARTIFACTS_URI): a new "
        "store's Default experiment keeps its artifacts there, as the server would make it",
    )
    actions = p.add_subparsers(dest="users_action", required=True, metavar="ACTION")

    a = actions.add_parser("add", help="add a user (asks for a password)")
    a.add_argument("name", help="user name")
    a.add_argument("--admin", action="store_true", help="may do everything, manage users too")
    source = a.add_mutually_exclusive_group()
    source.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    source.add_argument(
        "--no-password", action="store_true", help="the user signs in with tokens only"
    )
    a.set_defaults(func=add)

    a = actions.add_parser("password", help="set a user's password")
    a.add_argument("name", help="user name")
    a.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    a.set_defaults(func=password)

    a = actions.add_parser("admin", help="make a user an admin (or, with --revoke, not)")
    a.add_argument("name", help="user name")
    a.add_argument("--revoke", action="store_true", help="make the user an ordinary user again")
    a.set_defaults(func=admin)

    a = actions.add_parser("token", help="make a token for a user and print it (once)")
    a.add_argument("name", help="user name")
    a.add_argument("--revoke", action="store_true", help="remove the user's tokens instead")
    a.set_defaults(func=token)

    a = actions.add_parser("remove", help="remove a user, their tokens and permissions")
    a.add_argument("name", help="user name")
    a.set_defaults(func=remove)

    a = actions.add_parser("list", help="list users, whether they are admins, their permissions")
    a.set_defaults(func=list_users)

    for action, summary in (
        ("grant", "give a user a permission on an experiment or a registered model"),
        ("revoke", "take a user's own permission away (the server's default applies again)"),
    ):
        a = actions.add_parser(action, help=summary)
        a.add_argument("name", help="user name")
        target = a.add_mutually_exclusive_group(required=True)
        target.add_argument("--experiment", metavar="ID", help="an experiment id")
        target.add_argument("--model", metavar="NAME", help="a registered model's name")
        if action == "grant":
            a.add_argument(
                "--permission",
                required=True,
                type=str.upper,
                choices=("READ", "EDIT", "MANAGE", "NO_PERMISSIONS"),
                help="READ: read; EDIT: also log and change; MANAGE: also delete and grant",
            )
        a.set_defaults(func=grant if action == "grant" else revoke)


def _users(args: argparse.Namespace):
    from labtrack import env
    from labtrack.store import get_store
    from labtrack.tracking_server.auth.users import Users

    uri = getattr(args, "backend_store_uri", None) or env.resolve_tracking_uri(args.tracking_uri)
    if uri.split("://", 1)[0] in ("http", "https"):
        raise InvalidParameter(
            f"users live in the server's database, not at {uri}: "
            "pass --backend-store-uri sqlite:///... or postgresql://..."
        )
    destination = getattr(args, "artifacts_destination", None)
    if destination:
        from labtrack.tracking_server.server import absolute_destination

        # Read by the store when it opens: a new store's Default experiment is made there,
        # as `labtrack server` makes it, not in a folder of this machine.
        os.environ[env.ARTIFACTS_URI.name] = absolute_destination(destination)
    return Users.for_store(get_store(uri))


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise InvalidParameter("--password-stdin: standard input is empty")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidParameter(
            "no terminal to ask for the password: pass --password-stdin (or --no-password)"
        )
    import getpass

    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        raise InvalidParameter("the passwords differ")
    return first


def add(args: argparse.Namespace) -> int:
    """``users add NAME``."""
    users = _users(args)
    secret = None if args.no_password else _read_password(args)
    users.add(args.name, secret, admin=args.admin)
    kind = "admin" if args.admin else "user"
    print(f"added {kind} {args.name}" + (" (tokens only)" if secret is None else ""))
    return 0


def password(args: argparse.Namespace) -> int:
    """``users password NAME``."""
    users = _users(args)
    if users.store.get_user(args.name) is None:
        raise NotFound(f"there is no user {args.name!r}")
    users.set_password(args.name, _read_password(args))
    print(f"changed the password of {args.name}")
    return 0


def admin(args: argparse.Namespace) -> int:
    """``users admin NAME [--revoke]``."""
    _users(args).store.set_admin(args.name, not args.revoke)
    print(f"{args.name} is {'no longer ' if args.revoke else ''}an admin")
    return 0


def token(args: argparse.Namespace) -> int:
    """``users token NAME``: the one time a token is shown."""
    users = _users(args)
    if args.revoke:
        count = users.store.revoke_tokens(args.name)
        print(f"revoked {count} token{'s' * (count != 1)} of {args.name}")
        return 0
    print(users.new_token(args.name))
    print(
        "This token is shown once; keep it secret. Clients pass it as LABTRACK_TRACKING_TOKEN "
        "or MLFLOW_TRACKING_TOKEN.",
        file=sys.stderr,
    )
    return 0


def remove(args: argparse.Namespace) -> int:
    """``users remove NAME``."""
    _users(args).remove(args.name)
    print(f"removed user {args.name}")
    return 0


def list_users(args: argparse.Namespace) -> int:
    """``users list``: one line per user, then their own permissions."""
    summaries = _users(args).summaries()
    if not summaries:
        print("no users yet: add one with `labtrack server users add NAME --admin`")
        return 0
    for user in summaries:
        signs_in = ["password"] * user.has_password + [f"{user.tokens} token(s)"] * bool(
            user.tokens
        )
        role = "admin" if user.is_admin else "user"
        print(f"{user.username}\t{role}\t{', '.join(signs_in) or 'cannot sign in'}")
        for experiment_id, permission in sorted(user.experiment_grants.items()):
            print(f"  experiment {experiment_id}: {permission}")
        for name, permission in sorted(user.model_grants.items()):
            print(f"  model {name}: {permission}")
    return 0


def grant(args: argparse.Namespace) -> int:
    """``users grant NAME --experiment ID|--model NAME --permission P``."""
    users = _users(args)
    users.grant(args.name, args.permission, experiment_id=args.experiment, model=args.model)
    what = f"experiment {args.experiment}" if args.experiment else f"model {args.model}"
    print(f"{args.name} has {args.permission} on {what}")
    return 0


def revoke(args: argparse.Namespace) -> int:
    """``users revoke NAME --experiment ID|--model NAME``: the default permission applies again."""
    users = _users(args)
    users.revoke(args.name, experiment_id=args.experiment, model=args.model)
    what = f"experiment {args.experiment}" if args.experiment else f"model {args.model}"
    print(f"{args.name} has no permission of their own on {what} now")
    return 0
