"""A JCC inspection in a real store, a fixed clock and a dispatcher wired to fakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from inspection.notifier import OutgoingMessage, Recipient
from inspection.reminder_dispatch import ReminderDispatcher
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.outbox import SqlImprovementRepository, SqlOutbox
from tests.fakes.reminders import FakeChecklistSource, FakeNotifier, FakeRequestSource

JCC = "jcc-children-social-care"
NOTICE = date(2026, 3, 16)
ONSITE = (date(2026, 4, 20), date(2026, 4, 24))
MEMBERS = (
    Member("lead-1", Role.LEAD_INSPECTOR, "Lead Inspector"),
    Member("insp-2", Role.INSPECTOR, "Inspector Two"),
    Member("lo-1", Role.LINK_OFFICER, "Link Officer"),
    Member("dir-1", Role.DIRECTOR, "Director"),
)


def jcc_inspection() -> Inspection:
    return Inspection(
        framework=JCC,
        inspection_type="full",
        service_name="Children's Social Care (synthetic)",
        onsite_start=ONSITE[0],
        onsite_end=ONSITE[1],
        members=MEMBERS,
        actuals={"notice": NOTICE},
    )


def who(recipient: Recipient) -> str:
    return "channel" if recipient.kind == "channel" else str(recipient.aad_object_id)


def summary(message: OutgoingMessage) -> str:
    return f"{who(message.recipient)}: {message.metadata['rules']}"


@dataclass
class World:
    database: Database
    frameworks: FrameworkRegistry
    clock: FixedClock
    notifier: FakeNotifier
    requests: FakeRequestSource
    checklist: FakeChecklistSource
    inspections: SqlInspectionRepository
    outbox: SqlOutbox

    def dispatcher(self, **options: object) -> ReminderDispatcher:
        """A fresh dispatcher: a new one is what a restarted bot builds."""
        return ReminderDispatcher(
            inspections=self.inspections,
            frameworks=self.frameworks,
            outbox=self.outbox,
            notifier=self.notifier,
            clock=self.clock,
            checklist=self.checklist,
            requests=self.requests,
            improvements=SqlImprovementRepository(self.database),
            **options,  # type: ignore[arg-type]
        )


@pytest.fixture
def world_factory(frameworks: FrameworkRegistry) -> Callable[[Database], World]:
    def make(database: Database) -> World:
        return World(
            database=database,
            frameworks=frameworks,
            clock=FixedClock(datetime(2026, 3, 16, 0, 0, tzinfo=UTC)),
            notifier=FakeNotifier(),
            requests=FakeRequestSource(),
            checklist=FakeChecklistSource(),
            inspections=SqlInspectionRepository(database),
            outbox=SqlOutbox(database),
        )

    return make
