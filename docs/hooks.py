"""MkDocs hooks: the command-line reference is ``labtrack --help`` and each command's help,
generated at build time from the argparse parser so that it cannot drift from the code."""

from __future__ import annotations

import argparse
import os

PLACEHOLDER = "<!-- labtrack-cli-help -->"


def _commands(parser: argparse.ArgumentParser, prefix: str):
    """(command line, parser) for the parser and every subcommand under it, depth first."""
    yield prefix, parser
    for action in parser._actions:  # argparse keeps its subparsers nowhere public
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, f"{prefix} {name}")


def cli_reference() -> str:
    """Markdown: a section per command, with its ``--help`` text."""
    from labtrack.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: keep the page stable
    sections = []
    for command, parser in _commands(build_parser(), "labtrack"):
        sections.append(f"## `{command}`\n\n```text\n{parser.format_help().rstrip()}\n```\n")
    return "\n".join(sections)


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    if PLACEHOLDER in markdown:
        return markdown.replace(PLACEHOLDER, cli_reference())
    return markdown
