"""``labtrack spool status | replay``: what waits on local disk for a store that was away."""

from __future__ import annotations

import argparse

from labtrack import env


def add_commands(sub) -> None:
    p = sub.add_parser(
        "spool",
        help="show or replay what was logged while a store could not be reached",
        description="While a store cannot be reached, labtrack keeps what it could not write in a "
        "spool under the labtrack home, and writes it (once, in order) when the store "
        "answers again. These commands show what waits, and write it now.",
    )
    actions = p.add_subparsers(dest="spool_action", required=True, metavar="ACTION")
    a = actions.add_parser(
        "status", help="list every spool with the entries and points waiting in it"
    )
    a.set_defaults(func=status)
    a = actions.add_parser(
        "replay", help="write what waits in the spool of the store (--tracking-uri)"
    )
    a.set_defaults(func=replay)
    a = actions.add_parser(
        "refused", help="list the points the store (--tracking-uri) refused, and why"
    )
    a.set_defaults(func=refused)


def status(args: argparse.Namespace) -> int:
    """One line per spool file: its store (password masked), entries and points waiting."""
    from labtrack.store.spool import spools

    found = [row for row in spools() if row[2] or row[4]]
    if not found:
        print("no spooled data: every store has everything logged")
        return 0
    for path, uri, entries, points, refused_points in found:
        refused_note = (
            f"; {refused_points} points the store refused (`labtrack spool refused`)"
            if refused_points
            else ""
        )
        print(f"{uri}: {entries} entries, {points} points waiting in {path}{refused_note}")
    return 0


def refused(args: argparse.Namespace) -> int:
    """The refused points of the current store, one a line, with the reason."""
    from labtrack.store.spool import Spool

    rows = Spool(env.resolve_tracking_uri(args.tracking_uri)).refused()
    if not rows:
        print("the store refused no points")
    for run_id, key, value, timestamp, step, reason in rows:
        print(f"run {run_id} {key!r} step {step} value {value} timestamp {timestamp}: {reason}")
    return 0


def replay(args: argparse.Namespace) -> int:
    """Write the spool of the current store; an error if the store is still away."""
    from labtrack.store.spool import display_uri
    from labtrack.tracking.client import TrackingClient

    client = TrackingClient(env.resolve_tracking_uri(args.tracking_uri))
    report = client.writer.replay_spool()
    print(
        f"{display_uri(client.tracking_uri)}: wrote {report.replayed} spooled entries "
        f"({report.points} points); {report.already_written} were written before"
    )
    return 0
