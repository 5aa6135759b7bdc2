"""What every sub-command shares: argument types, one-line errors, JSON output, the store."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from inspection.errors import InspectionError
from inspection.frameworks import FrameworkRegistry
from settings import Settings, load_frameworks, load_settings
from store.database import Database

if TYPE_CHECKING:
    from bot.services import Services
    from inspection.notifier import Notifier

T = TypeVar("T")
EXIT_USAGE = 2


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2024-03-04"
        ) from None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def settings() -> Settings:
    return load_settings()


def frameworks(config: Settings) -> FrameworkRegistry:
    return load_frameworks(config)


async def with_database(config: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open (and migrate) the database, run `work`, close it."""
    database = Database(config.database_url)
    try:
        await database.migrate()
        return await work(database)
    finally:
        await database.dispose()


async def with_services(
    config: Settings, work: Callable[[Services], Awaitable[T]], *, notifier: Notifier | None = None
) -> T:
    """The bot's services as the composition root builds them (with `notifier` instead of
    Teams, for a dry run), on a migrated database, closed afterwards."""
    from app import build_services

    services = build_services(config, notifier=notifier)
    try:
        await services.database.migrate()
        return await work(services)
    finally:
        await services.database.dispose()


def run(
    handler: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
) -> Callable[[argparse.Namespace], int]:
    """Wrap an async handler: domain and CLI errors become one line on stderr, exit 2."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return asyncio.run(handler(args))
        except (CliError, InspectionError) as exc:
            sys.stderr.write(f"inspection-bot: error: {exc}\n")
            return EXIT_USAGE

    return wrapper
