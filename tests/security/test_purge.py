"""Retention: `inspection-bot purge` removes one published inspection's data, and only that.

The schema is not hard-coded here either: a synthetic row is written into every table of the
metadata for two inspections (A and B), following foreign keys, so a table another engineer adds
is covered the day it lands. Purging A must leave no row of A anywhere and every row of B.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Time,
    Uuid,
    and_,
    func,
    select,
)
from sqlalchemy.exc import DBAPIError

import store.all_tables  # noqa: F401
from cli import main as cli_main
from cli.common import CliError
from cli.purge import plan_tables, purge
from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.tables import Base
from store.types import UTCDateTime

PUBLISHED = date(2024, 6, 3)
PREFILLED = {"inspection_members", "inspection_actual_dates"}
_numbers = itertools.count(1000)


def _inspection(name: str, published: date | None) -> Inspection:
    actuals = {"notice": date(2024, 2, 1)}
    if published:
        actuals["published"] = published
    return Inspection(
        framework="jcc-children-social-care",
        inspection_type="full",
        service_name=name,
        onsite_start=date(2024, 3, 4),
        onsite_end=date(2024, 3, 8),
        members=(
            Member("aad-lead-0001", Role.LEAD_INSPECTOR, "Lead Inspector A"),
            Member("aad-link-0002", Role.LINK_OFFICER, "Link Officer B"),
        ),
        actuals=actuals,
    )


def _value(column: Any, number: int) -> Any:
    kind = column.type
    if isinstance(kind, Enum):
        return kind.enums[0]
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return number
    if isinstance(kind, (Numeric, Float)):
        return Decimal(number) if isinstance(kind, Numeric) and kind.asdecimal else float(number)
    if isinstance(kind, (UTCDateTime, DateTime)):
        return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
    if isinstance(kind, Date):
        return date(2024, 1, 1) + timedelta(days=number % 300)
    if isinstance(kind, Time):
        return None
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, Uuid):
        import uuid

        return uuid.uuid4()
    if isinstance(kind, LargeBinary):
        return b"synthetic"
    if isinstance(kind, (String, Text)):
        text = f"synthetic-{number}"
        length = getattr(kind, "length", None)
        return text[-length:] if length else text
    return None


async def _fill(database: Database, owner: dict[str, int]) -> dict[str, dict[str, Any]]:
    """One synthetic row per table for each inspection in `owner` ({"A": id, "B": id}),
    following foreign keys (a table unrelated to inspections gets rows too, owned by nobody).
    Returns the rows written (with primary keys) by table and owner; tables whose rows could
    not be made are left out."""
    written: dict[str, dict[str, Any]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "inspections":
            written[table.name] = {k: {"id": v} for k, v in owner.items()}
            continue
        if table.name in PREFILLED:
            # Real rows, written by the repository (the domain must still load them).
            written[table.name] = {k: {} for k in owner}
            continue
        for who, inspection_id in owner.items():
            row = _row(table, who, inspection_id, written)
            if row is None:
                continue
            try:
                async with database.session() as session:
                    result: Any = await session.execute(table.insert().values(**row))
                    pk = dict(
                        zip(
                            table.primary_key.columns.keys(),
                            result.inserted_primary_key or (),
                            strict=False,
                        )
                    )
            except DBAPIError:
                continue  # a check constraint this generator cannot satisfy
            written.setdefault(table.name, {})[who] = {**row, **pk}
    return written


def _row(
    table: Table, who: str, inspection_id: int, written: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    row: dict[str, Any] = {}
    for column in table.columns:
        if (column.primary_key and column.autoincrement is True) or (
            column.primary_key
            and isinstance(column.type, Integer)
            and not column.foreign_keys
            and len(table.primary_key.columns) == 1
        ):
            continue
        targets = list(column.foreign_keys)
        if targets:
            parent = targets[0].column
            if parent.table.name == "inspections":
                row[column.name] = inspection_id
                continue
            parent_rows = written.get(parent.table.name, {})
            source = parent_rows.get(who) or parent_rows.get("unowned")
            if source is None or parent.name not in source:
                if column.nullable:
                    continue
                return None
            row[column.name] = source[parent.name]
            continue
        if column.nullable and not column.primary_key:
            continue
        has_default = column.server_default is not None or column.default is not None
        if has_default and not column.primary_key:
            continue
        value = _value(column, next(_numbers))
        if value is None:
            return None
        row[column.name] = value
    return row


def _leads_to_inspection(table: Table) -> bool:
    return any(p.table is table for p in plan_tables())


def test_the_plan_covers_every_table_that_references_an_inspection() -> None:
    planned = {plan.table.name for plan in plan_tables()}
    direct = {
        table.name
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "inspections" and fk.column.name == "id"
    }
    assert direct <= planned
    assert "inspections" in planned and "inspection_members" in planned
    # Children of children: any table pointing at a planned (deleted) table is planned too.
    deleted = {p.table.name for p in plan_tables() if p.action == "delete"}
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name in deleted and fk.column.table is not table:
                assert table.name in planned, f"{table.name} points at {fk.column.table.name}"


async def test_purge_removes_every_row_of_the_inspection_and_keeps_the_other(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    repository = SqlInspectionRepository(database)
    a = await repository.add(_inspection("Service A", PUBLISHED))
    b = await repository.add(_inspection("Service B", PUBLISHED))
    assert a.id is not None and b.id is not None
    written = await _fill(database, {"A": a.id, "B": b.id})
    covered = [name for name in written if _leads_to_inspection(Base.metadata.tables[name])]
    assert {"inspections", "inspection_members", "inspection_actual_dates"} <= set(covered)
    before = await _counts(database)

    clock = FixedClock(datetime(2025, 7, 1, 12, tzinfo=UTC))
    dry = await purge(
        database, frameworks, inspection_id=a.id, older_than_days=365, dry_run=True, clock=clock
    )
    assert await _counts(database) == before, "a dry run must delete nothing"
    assert dry.total > 0 and {t.table for t in dry.tables} >= set(covered)

    done = await purge(
        database, frameworks, inspection_id=a.id, older_than_days=365, dry_run=False, clock=clock
    )
    assert [(t.table, t.rows) for t in done.tables] == [(t.table, t.rows) for t in dry.tables]

    after = await _counts(database)
    for plan in plan_tables():
        table = plan.table
        for link in plan.links:
            if link.parent.name == "inspections":
                async with database.session() as session:
                    left = await session.scalar(
                        select(func.count()).select_from(table).where(link.column == a.id)
                    )
                assert left == 0, f"{table.name} still holds rows of inspection {a.id}"
        found = next(t.rows for t in dry.tables if t.table == table.name)
        if plan.action == "delete":
            assert after[table.name] == before[table.name] - found, table.name
            if "A" in written.get(table.name, {}):
                assert found >= 1, f"{table.name}: inspection A's row was not found"
        if "B" in written.get(table.name, {}):
            assert await _exists(database, table, written[table.name]["B"], b.id), (
                f"{table.name} lost inspection B's row"
            )
    # Tables with nothing to do with inspections are untouched.
    for name, count in before.items():
        if not _leads_to_inspection(Base.metadata.tables[name]):
            assert after[name] == count, name
    async with database.session() as session:
        kept = await session.scalar(
            select(Base.metadata.tables["inspections"].c.service_name).where(
                Base.metadata.tables["inspections"].c.id == b.id
            )
        )
    assert kept == "Service B"


async def test_a_pointer_from_a_shared_row_is_cleared_not_deleted(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    unlinks = [p for p in plan_tables() if p.action == "unlink"]
    if not unlinks:
        pytest.skip("no table points at inspections with ON DELETE SET NULL")
    repository = SqlInspectionRepository(database)
    a = await repository.add(_inspection("Service A", PUBLISHED))
    assert a.id is not None
    written = await _fill(database, {"A": a.id})
    before = await _counts(database)
    await purge(
        database,
        frameworks,
        inspection_id=a.id,
        older_than_days=0,
        dry_run=False,
        clock=FixedClock(datetime(2024, 6, 4, tzinfo=UTC)),
    )
    after = await _counts(database)
    for plan in unlinks:
        if plan.table.name in written:
            assert after[plan.table.name] == before[plan.table.name]
            column = plan.links[0].column
            async with database.session() as session:
                assert (
                    await session.scalar(
                        select(func.count()).select_from(plan.table).where(column == a.id)
                    )
                    == 0
                )


async def test_before_the_retention_period_ends_nothing_is_deleted(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    repository = SqlInspectionRepository(database)
    a = await repository.add(_inspection("Service A", PUBLISHED))
    assert a.id is not None
    clock = FixedClock(datetime(2025, 6, 2, 12, tzinfo=UTC))  # day 364 after publication
    with pytest.raises(CliError, match=r"from 2025-06-03 \(1 days from now\)\. Nothing"):
        await purge(
            database,
            frameworks,
            inspection_id=a.id,
            older_than_days=365,
            dry_run=False,
            clock=clock,
        )
    assert (await repository.get(a.id)).service_name == "Service A"
    clock.set(datetime(2025, 6, 3, 8, tzinfo=UTC))
    await purge(
        database, frameworks, inspection_id=a.id, older_than_days=365, dry_run=False, clock=clock
    )
    assert await repository.list_all(include_closed=True) == []


async def test_an_unpublished_inspection_is_never_purged(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    repository = SqlInspectionRepository(database)
    a = await repository.add(_inspection("Service A", None))
    assert a.id is not None
    with pytest.raises(CliError, match="no publication date recorded"):
        await purge(
            database,
            frameworks,
            inspection_id=a.id,
            older_than_days=0,
            dry_run=False,
            clock=FixedClock(datetime(2030, 1, 1, tzinfo=UTC)),
        )
    assert (await repository.get(a.id)).id == a.id


async def _exists(database: Database, table: Table, row: dict[str, Any], owner_id: int) -> bool:
    """Whether `row` (by primary key) is still there; for a prefilled table, whether any row
    of the owner is."""
    if table.name in PREFILLED:
        where = table.c.inspection_id == owner_id
    else:
        keys = table.primary_key.columns
        if not all(column.name in row for column in keys):
            return True  # cannot tell which row it was; the counts above still apply
        where = and_(*[column == row[column.name] for column in keys])
    async with database.session() as session:
        return bool(await session.scalar(select(func.count()).select_from(table).where(where)))


async def _counts(database: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = int(
                await session.scalar(select(func.count()).select_from(table)) or 0
            )
    return counts


# --- the command line -----------------------------------------------------------------------
@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)

    async def setup() -> dict[str, int]:
        database = Database(url)
        await database.migrate()
        repository = SqlInspectionRepository(database)
        old = await repository.add(_inspection("Old Service", date(2020, 1, 6)))
        recent = await repository.add(
            replace(_inspection("Recent Service", None), actuals={"published": date.today()})
        )
        await database.dispose()
        assert old.id is not None and recent.id is not None
        return {"old": old.id, "recent": recent.id}

    return asyncio.run(setup())


def test_cli_dry_run_lists_and_keeps(
    stored: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main.main(
        ["purge", "--inspection", str(stored["old"]), "--older-than", "365", "--dry-run"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Dry run: nothing was deleted" in out and "inspection_members" in out
    assert "Teams channel" in out
    code = cli_main.main(["inspections", "list", "--all", "--json"])
    listed = json.loads(capsys.readouterr().out)["inspections"]
    assert {i["id"] for i in listed} == {stored["old"], stored["recent"]}


def test_cli_purge_deletes_and_reports_json(
    stored: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main.main(
        ["purge", "--inspection", str(stored["old"]), "--older-than", "365", "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["dry_run"] is False
    assert {"table": "inspection_members", "action": "delete", "rows": 2} in report["tables"]
    cli_main.main(["inspections", "list", "--all", "--json"])
    listed = json.loads(capsys.readouterr().out)["inspections"]
    assert [i["id"] for i in listed] == [stored["recent"]]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--inspection", "abc", "--older-than", "30"], "'abc' is not an inspection id"),
        (["--inspection", "1", "--older-than", "-5"], "-5 days is not a retention period"),
        (["--inspection", "1", "--older-than", "a year"], "'a year' is not a number of days"),
    ],
)
def test_cli_refuses_bad_arguments_clearly(
    stored: dict[str, int], capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main.main(["purge", *arguments])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("999", "there is no inspection 999"),
        ("RECENT", "days from now). Nothing was deleted."),
    ],
)
def test_cli_refuses_what_it_may_not_delete(
    stored: dict[str, int], capsys: pytest.CaptureFixture[str], which: str, message: str
) -> None:
    target = str(stored["recent"]) if which == "RECENT" else which
    assert cli_main.main(["purge", "--inspection", target, "--older-than", "30"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    cli_main.main(["inspections", "list", "--all", "--json"])
    assert len(json.loads(capsys.readouterr().out)["inspections"]) == 2
