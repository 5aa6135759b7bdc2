"""The `inspection-bot` command line: one sub-command per module, each adding its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli import (
    app_package,
    common,
    demo,
    documents,
    graph,
    inspections,
    purge,
    reminders,
    request_log,
    serve,
    timeline,
)

# Each module adds its sub-commands; the order is the order in `--help`.
COMMAND_MODULES = [
    timeline,
    inspections,
    serve,
    documents,
    purge,
    request_log,
    app_package,
    reminders,
    graph,  # setup-channel, sync-files
    demo,
]


def build_parser() -> argparse.ArgumentParser:
    parser = common.OneLineParser(
        prog="inspection-bot",
        description="Inspection bot: the paperwork side of a children's social care inspection.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    for subparser in commands.choices.values():
        _one_line_errors(subparser)
    return parser


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    parser.__class__ = common.OneLineParser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _one_line_errors(child)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
