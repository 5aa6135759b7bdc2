"""Where each inspection's live checklist card is (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete

from inspection.model import Inspection
from store.checklist_cards import SqlChecklistCards
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.tables import InspectionRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_the_last_posted_card_is_the_one_updated(database: Database) -> None:
    inspection = await SqlInspectionRepository(database).add(
        Inspection(
            framework="jcc-children-social-care",
            inspection_type="full",
            service_name="Children's Social Care",
            onsite_start=date(2026, 4, 20),
            onsite_end=date(2026, 4, 24),
        )
    )
    assert inspection.id is not None
    cards = SqlChecklistCards(database)
    assert await cards.get(inspection.id) is None

    await cards.posted(inspection.id, "19:channel@thread.tacv2", "activity-1", T0)
    await cards.updated(inspection.id, T0 + timedelta(minutes=5))
    card = await cards.get(inspection.id)
    assert card is not None
    assert (card.conversation_id, card.activity_id) == ("19:channel@thread.tacv2", "activity-1")
    assert (card.posted_at, card.updated_at) == (T0, T0 + timedelta(minutes=5))

    # A newer card replaces it.
    await cards.posted(inspection.id, "19:channel@thread.tacv2", "activity-9", T0 + timedelta(1))
    card = await cards.get(inspection.id)
    assert card is not None and card.activity_id == "activity-9"
    assert card.updated_at == T0 + timedelta(1)

    await cards.forget(inspection.id)
    assert await cards.get(inspection.id) is None

    # Deleting the inspection takes its card with it.
    await cards.posted(inspection.id, "19:channel@thread.tacv2", "activity-10", T0)
    async with database.session() as session:
        await session.execute(delete(InspectionRow).where(InspectionRow.id == inspection.id))
    assert await cards.get(inspection.id) is None
