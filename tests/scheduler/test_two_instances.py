"""Two bot instances on one database: both schedulers tick, each reminder is sent once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from inspection.notifier import Delivery, OutgoingMessage
from inspection.reminders import RequestSnapshot
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.outbox import SqlOutbox
from tests.fakes.reminders import FakeNotifier
from tests.scheduler.conftest import World, jcc_inspection

INSPECTIONS = 12
REQUESTS = 15


class YieldingNotifier(FakeNotifier):
    """Gives the event loop away while 'sending', so the two instances interleave."""

    async def send(self, message: OutgoingMessage) -> Delivery:
        for _ in range(3):
            await asyncio.sleep(0)
        return await super().send(message)


async def test_two_instances_never_both_send(
    database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(database)
    opened = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)
    for number in range(INSPECTIONS):
        stored = await world.inspections.add(
            replace(jcc_inspection(), service_name=f"Service {number} (synthetic)")
        )
        assert stored.id is not None
        world.requests.by_inspection[stored.id] = [
            RequestSnapshot(f"IR-{n:03d}", f"Document {n}", date(2026, 4, 21), opened)
            for n in range(1, REQUESTS + 1)
        ]
        world.checklist.missing_by_inspection[stored.id] = ["Organisational structures"]
    # A second instance: its own engine and connection pool on the same database.
    other_db = Database(database.url)
    try:
        notifier_a, notifier_b = YieldingNotifier(), YieldingNotifier()
        world.notifier = notifier_a
        instance_a = world.dispatcher(instance="a")
        world.notifier = notifier_b
        world.inspections = SqlInspectionRepository(other_db)
        world.outbox = SqlOutbox(other_db)
        instance_b = world.dispatcher(instance="b")
        for moment in (
            datetime(2026, 4, 21, 7, 35, tzinfo=UTC),  # KIT agendas
            datetime(2026, 4, 21, 8, 5, tzinfo=UTC),  # requests due, documents chased
            datetime(2026, 4, 21, 8, 6, tzinfo=UTC),
        ):
            world.clock.set(moment)
            await asyncio.gather(instance_a.tick(), instance_b.tick())
    finally:
        await other_db.dispose()
    messages = notifier_a.sent + notifier_b.sent
    # Per inspection: the KIT agenda (channel), then one digest each for the channel, the link
    # officer, the director and the lead inspector (documents 13 working days overdue).
    assert len(messages) == INSPECTIONS * 5
    per_recipient = Counter(
        (
            m.recipient.inspection_id,
            m.recipient.kind,
            m.recipient.aad_object_id,
            m.metadata["rules"],
        )
        for m in messages
    )
    assert set(per_recipient.values()) == {1}
    items = Counter(
        subject
        for m in messages
        if m.recipient.kind == "channel" and "information_request_due" in m.metadata["rules"]
        for subject in m.metadata["subjects"].split(",")
    )
    assert sum(items.values()) == INSPECTIONS * (REQUESTS + 1)
    # Both instances did work: the claim decided, not luck of timing.
    assert notifier_a.sent or notifier_b.sent
