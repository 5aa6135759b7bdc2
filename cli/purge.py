"""`inspection-bot purge --inspection ID --older-than DAYS [--dry-run] [--json]`.

Deletes everything stored about one inspection once it was published (its "published" actual
date) and the retention period has passed. The tables are not listed here: every table whose
foreign key leads (directly or through another such table) to `inspections.id` is found in the
schema's metadata, so a table added later is purged without changing this command.

- A row that only *points at* the inspection through a nullable `ON DELETE SET NULL` key
  (e.g. a stored conversation that chose it) outlives it: the pointer is cleared instead.
- Everything happens in one transaction: all of it goes, or nothing does.
- Files in the Teams channel are not the bot's to delete: the output says so.
- The inspection's Graph change subscription is deleted at Graph first (else Graph would keep
  notifying for the channel until it lapses); if Graph cannot be reached the purge goes ahead
  and the output says when the subscription lapses by itself.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Table, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from cli.common import CliError, frameworks, print_json, run, settings, with_database
from inspection.clock import Clock, SystemClock, local_today
from inspection.errors import ConfigurationError, NotFound
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection
from store.database import Database
from store.files import SqlFileStore
from store.inspections import SqlInspectionRepository

log = logging.getLogger(__name__)
# Deletes the inspection's change subscriptions at Graph and here; how many there were.
Unsubscribe = Callable[[int], Awaitable[int]]

PUBLISHED = "published"
ROOT_TABLE = "inspections"
NOT_TOUCHED = (
    "The Teams channel and the files in it are not deleted by this command: archive or delete "
    "the channel in Teams as your records policy says."
)


@dataclass(frozen=True)
class Link:
    """A column of `table` that holds an id of `parent` (a row of the inspection's data)."""

    column: Any
    parent: Table
    parent_column: Any


@dataclass(frozen=True)
class TablePlan:
    table: Table
    action: Literal["delete", "unlink"]
    links: tuple[Link, ...]


@dataclass(frozen=True)
class TableCount:
    table: str
    action: Literal["delete", "unlink"]
    rows: int


@dataclass(frozen=True)
class PurgeResult:
    inspection_id: int
    service_name: str
    published: date
    eligible_from: date
    dry_run: bool
    tables: tuple[TableCount, ...]
    subscriptions_note: str = ""

    @property
    def total(self) -> int:
        return sum(t.rows for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {
            "inspection": self.inspection_id,
            "published": self.published.isoformat(),
            "eligible_from": self.eligible_from.isoformat(),
            "dry_run": self.dry_run,
            "tables": [{"table": t.table, "action": t.action, "rows": t.rows} for t in self.tables],
            "total_rows": self.total,
            "not_touched": NOT_TOUCHED,
            **({"subscriptions": self.subscriptions_note} if self.subscriptions_note else {}),
        }


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "purge",
        help="delete a published inspection's stored data after the retention period",
        description="Delete everything the bot stored about one inspection, once it was "
        "published and DAYS more have passed. Try --dry-run first.",
    )
    parser.add_argument("--inspection", required=True, type=_inspection_id, metavar="ID")
    parser.add_argument(
        "--older-than",
        required=True,
        type=_days,
        metavar="DAYS",
        help="retention period: days after publication before the data may be deleted",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted, delete nothing"
    )
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run(_purge))


def _inspection_id(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an inspection id; use the number `inspection-bot inspections list` "
            "shows, e.g. 12"
        )
    return int(text)


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of days; give a whole number, e.g. 365"
        ) from None
    if days < 0:
        raise argparse.ArgumentTypeError(
            f"{days} days is not a retention period; give 0 or more days after publication"
        )
    return days


async def _purge(args: argparse.Namespace) -> int:
    config = settings()
    registry = frameworks(config)

    async def work(database: Database) -> int:
        result = await purge(
            database,
            registry,
            inspection_id=args.inspection,
            older_than_days=args.older_than,
            dry_run=args.dry_run,
            unsubscribe=_graph_unsubscribe(config, database),
        )
        if args.json:
            print_json(result.as_json())
        else:
            sys.stdout.write(describe(result))
        return 0

    return await with_database(config, work)


def _graph_unsubscribe(config: Any, database: Database) -> Unsubscribe:
    async def unsubscribe(inspection_id: int) -> int:
        # msgraph is loaded only when there is a subscription to delete.
        from graph.wiring import create_subscriptions

        return await create_subscriptions(config, database).unsubscribe(inspection_id)

    return unsubscribe


async def purge(
    database: Database,
    registry: FrameworkRegistry,
    *,
    inspection_id: int,
    older_than_days: int,
    dry_run: bool,
    clock: Clock | None = None,
    unsubscribe: Unsubscribe | None = None,
) -> PurgeResult:
    """Delete (or, dry run, count) the inspection's rows; refuse before the retention ends.

    `unsubscribe` deletes the inspection's Graph change subscriptions first (not on a dry run).
    """
    try:
        inspection = await SqlInspectionRepository(database).get(inspection_id)
    except NotFound:
        raise CliError(
            f"there is no inspection {inspection_id}; `inspection-bot inspections list --all` "
            "shows the stored ones"
        ) from None
    published = inspection.actuals.get(PUBLISHED)
    if published is None:
        raise CliError(
            f"inspection {inspection_id} ({inspection.service_name}) has no publication date "
            "recorded, so its retention period has not started; record the date the report "
            "was published first. Nothing was deleted."
        )
    eligible_from = published + timedelta(days=older_than_days)
    today = local_today(clock or SystemClock(), _zone(registry, inspection))
    if today < eligible_from:
        raise CliError(
            f"inspection {inspection_id} was published on {published.isoformat()}; with a "
            f"retention period of {older_than_days} days its data may be deleted from "
            f"{eligible_from.isoformat()} ({(eligible_from - today).days} days from now). "
            "Nothing was deleted."
        )
    note = await _end_subscriptions(database, inspection_id, dry_run, unsubscribe)
    plans = plan_tables()
    async with database.session() as session:
        counts = tuple(
            [
                TableCount(
                    plan.table.name, plan.action, await _count(session, plans, plan, inspection_id)
                )
                for plan in plans
            ]
        )
        if not dry_run:
            await _apply(session, plans, inspection_id)
    return PurgeResult(
        inspection_id=inspection_id,
        service_name=inspection.service_name,
        published=published,
        eligible_from=eligible_from,
        dry_run=dry_run,
        tables=counts,
        subscriptions_note=note,
    )


async def _end_subscriptions(
    database: Database, inspection_id: int, dry_run: bool, unsubscribe: Unsubscribe | None
) -> str:
    stored = await SqlFileStore(database).subscriptions(inspection_id=inspection_id)
    if not stored:
        return ""
    lapses = max(s.expires_at for s in stored).date().isoformat()
    if dry_run:
        return "A purge would also delete the channel's change subscription at Microsoft Graph."
    if unsubscribe is None:
        return f"The change subscription at Microsoft Graph was left to lapse ({lapses})."
    try:
        deleted = await unsubscribe(inspection_id)
    except Exception as exc:  # the purge must not wait on Graph: the subscription lapses anyway
        log.warning("purge: could not delete the change subscription: %s", exc)
        return (
            f"The change subscription could not be deleted at Microsoft Graph ({exc}); it "
            f"lapses by itself on {lapses}, and the bot ignores its notifications meanwhile."
        )
    return f"Deleted {deleted} change subscription(s) at Microsoft Graph."


def plan_tables() -> list[TablePlan]:
    """Every table holding the inspection's rows, parents first, found from the metadata."""
    import store.all_tables  # noqa: F401  (registers every table on the metadata)
    from store.tables import Base

    metadata = Base.metadata
    root = metadata.tables[ROOT_TABLE]
    owned: set[Table] = {root}
    plans: list[TablePlan] = [TablePlan(root, "delete", ())]
    for table in metadata.sorted_tables:
        if table is root:
            continue
        links: list[Link] = []
        unlink_only = True
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent is table or parent not in owned:
                continue
            links.append(Link(fk.parent, parent, fk.column))
            set_null = (fk.ondelete or "").upper() == "SET NULL" and bool(fk.parent.nullable)
            unlink_only = unlink_only and set_null and parent is root
        if not links:
            continue
        if unlink_only:
            plans.append(TablePlan(table, "unlink", tuple(links)))
        else:
            owned.add(table)
            plans.append(TablePlan(table, "delete", tuple(links)))
    return plans


def _selector(
    plan_by_table: dict[Table, TablePlan], table: Table, inspection_id: int
) -> ColumnElement[bool]:
    """A WHERE clause picking `table`'s rows that belong to the inspection."""
    plan = plan_by_table[table]
    if table.name == ROOT_TABLE:
        return table.c.id == inspection_id  # type: ignore[no-any-return]
    conditions: list[ColumnElement[bool]] = []
    for link in plan.links:
        if link.parent.name == ROOT_TABLE:
            conditions.append(link.column == inspection_id)
        else:
            parents: Select[Any] = select(link.parent_column).where(
                _selector(plan_by_table, link.parent, inspection_id)
            )
            conditions.append(link.column.in_(parents))
    return or_(*conditions) if conditions else false()


async def _count(
    session: AsyncSession, plans: list[TablePlan], plan: TablePlan, inspection_id: int
) -> int:
    by_table = {p.table: p for p in plans}
    where = _selector(by_table, plan.table, inspection_id)
    found = await session.scalar(select(func.count()).select_from(plan.table).where(where))
    return int(found or 0)


async def _apply(session: AsyncSession, plans: list[TablePlan], inspection_id: int) -> None:
    by_table = {p.table: p for p in plans}
    # Pointers first, then children before their parents (the reverse of the creation order),
    # so no foreign key is ever left pointing at a deleted row.
    for plan in plans:
        if plan.action == "unlink":
            values = {link.column.name: None for link in plan.links}
            await session.execute(
                update(plan.table)
                .where(_selector(by_table, plan.table, inspection_id))
                .values(**values)
            )
    for plan in reversed([p for p in plans if p.action == "delete"]):
        await session.execute(
            plan.table.delete().where(_selector(by_table, plan.table, inspection_id))
        )


def _zone(registry: FrameworkRegistry, inspection: Inspection) -> Any:
    from zoneinfo import ZoneInfo

    try:
        return registry.get(inspection.framework).zone
    except ConfigurationError:
        return ZoneInfo("UTC")


def describe(result: PurgeResult) -> str:
    head = (
        f"Inspection {result.inspection_id} ({result.service_name}), published "
        f"{result.published.isoformat()}; retention ended {result.eligible_from.isoformat()}.\n"
    )
    lines = [head]
    if result.dry_run:
        lines.append("Dry run: nothing was deleted. A purge would remove:\n")
    else:
        lines.append("Deleted:\n")
    width = max(len(t.table) for t in result.tables)
    for count in result.tables:
        what = "rows" if count.action == "delete" else "rows kept, their link cleared"
        lines.append(f"  {count.table:<{width}}  {count.rows:>7} {what}\n")
    deleted = sum(t.rows for t in result.tables if t.action == "delete")
    verb = "would be deleted" if result.dry_run else "deleted"
    lines.append(f"{deleted} rows {verb} in all.\n")
    if result.subscriptions_note:
        lines.append(result.subscriptions_note + "\n")
    lines.append(NOT_TOUCHED + "\n")
    return "".join(lines)
