"""Walk a whole JCC inspection, notice to publication, tick by tick with a controllable clock.

Every message sent is asserted day by day. The walk crosses the clock change (Sunday 29 March
2026: 09:00 in Jersey is 09:00 UTC before it and 08:00 UTC after), Good Friday and Easter
Monday (no reminders), and the May bank holidays.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from inspection.reminders import RequestSnapshot
from store.database import Database
from tests.scheduler.conftest import World, jcc_inspection, summary

# Ticks in UTC, as a server clock sees them; each scheduler tick sends what is due by then.
TICKS = (time(6, 35), time(7, 5), time(7, 35), time(8, 5), time(8, 35), time(9, 5), time(13, 0))
END = date(2026, 6, 30)


async def walk(world: World) -> dict[date, list[str]]:
    stored = await world.inspections.add(jcc_inspection())
    assert stored.id is not None
    inspection_id = stored.id
    world.checklist.missing_by_inspection[inspection_id] = [
        "Organisational structures",
        "Self-Evaluation Report",
    ]
    opened = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)
    world.requests.by_inspection[inspection_id] = [
        RequestSnapshot("IR-001", "Staff rota for April", date(2026, 4, 21), opened),
    ]
    dispatcher = world.dispatcher()
    sent: dict[date, list[str]] = {}
    day = date(2026, 3, 16)
    while day <= END:
        for moment in TICKS:
            world.clock.set(datetime.combine(day, moment, tzinfo=UTC))
            before = len(world.notifier.sent)
            await dispatcher.tick()
            for message in world.notifier.sent[before:]:
                assert message.metadata["delayed"] == "no"
                sent.setdefault(day, []).append(f"{moment:%H:%M} {summary(message)}")
            # Things people do, between ticks.
            if (day, moment) == (date(2026, 4, 7), time(13, 0)):
                world.checklist.missing_by_inspection[inspection_id] = []  # all uploaded
            if (day, moment) == (date(2026, 4, 22), time(13, 0)):
                answered = datetime.combine(day, moment, tzinfo=UTC)
                world.requests.by_inspection[inspection_id] = [
                    RequestSnapshot(
                        "IR-001",
                        "Staff rota for April",
                        date(2026, 4, 21),
                        opened,
                        answered_at=answered,
                        is_open=False,
                    ),
                ]
            if (day, moment) == (date(2026, 5, 20), time(13, 0)):
                inspection = await world.inspections.get(inspection_id)
                await world.inspections.update(inspection.with_actual("draft_sent", day))
        day += timedelta(days=1)
    return sent


# Day by day: "HH:MM (UTC tick) recipient: rules in the digest".
EXPECTED = {
    date(2026, 3, 16): ["09:05 channel: notice_given"],
    date(2026, 3, 23): ["09:05 channel: documents_due", "09:05 lo-1: documents_due"],
    date(2026, 3, 26): ["09:05 channel: documents_due", "09:05 lo-1: documents_due"],
    date(2026, 3, 27): ["09:05 channel: documents_due", "09:05 lo-1: documents_due"],
    date(2026, 3, 30): ["08:05 channel: documents_due", "08:05 lo-1: documents_due"],
    date(2026, 3, 31): ["08:05 channel: documents_due", "08:05 lo-1: documents_due"],
    date(2026, 4, 1): ["08:05 channel: documents_due", "08:05 lo-1: documents_due"],
    date(2026, 4, 2): [
        "08:05 channel: documents_due",
        "08:05 dir-1: documents_due",
        "08:05 lead-1: documents_due",
        "08:05 lo-1: documents_due",
    ],
    date(2026, 4, 7): [
        "08:05 channel: documents_due",
        "08:05 dir-1: documents_due",
        "08:05 lead-1: documents_due",
        "08:05 lo-1: documents_due",
    ],
    date(2026, 4, 13): ["08:05 channel: onsite_start"],
    date(2026, 4, 17): ["08:05 channel: onsite_start"],
    date(2026, 4, 20): ["07:35 channel: kit_agenda"],
    date(2026, 4, 21): [
        "07:35 channel: kit_agenda",
        "08:05 channel: information_request_due",
        "08:05 lo-1: information_request_due",
    ],
    date(2026, 4, 22): [
        "07:35 channel: kit_agenda",
        "08:05 channel: information_request_due",
        "08:05 lo-1: information_request_due",
    ],
    date(2026, 4, 23): ["07:35 channel: kit_agenda", "08:05 channel: final_feedback"],
    date(2026, 4, 24): ["07:35 channel: kit_agenda", "08:05 channel: final_feedback"],
    date(2026, 5, 15): ["08:05 insp-2: draft_report_due", "08:05 lead-1: draft_report_due"],
    date(2026, 5, 20): ["08:05 insp-2: draft_report_due", "08:05 lead-1: draft_report_due"],
    date(2026, 6, 3): [
        "08:05 channel: factual_accuracy_due",
        "08:05 dir-1: factual_accuracy_due",
        "08:05 lo-1: factual_accuracy_due",
    ],
    date(2026, 6, 10): [
        "08:05 channel: factual_accuracy_due",
        "08:05 dir-1: factual_accuracy_due",
        "08:05 lo-1: factual_accuracy_due",
    ],
    date(2026, 6, 15): [
        "08:05 channel: factual_accuracy_due",
        "08:05 dir-1: factual_accuracy_due",
        "08:05 lo-1: factual_accuracy_due",
    ],
    date(2026, 6, 16): [
        "08:05 channel: factual_accuracy_due",
        "08:05 dir-1: factual_accuracy_due",
        "08:05 lo-1: factual_accuracy_due",
    ],
    date(2026, 6, 17): [
        "08:05 channel: factual_accuracy_due",
        "08:05 dir-1: factual_accuracy_due",
        "08:05 lo-1: factual_accuracy_due",
    ],
    date(2026, 6, 22): ["08:05 channel: publication_due", "08:05 lead-1: publication_due"],
    date(2026, 6, 24): ["08:05 channel: publication_due", "08:05 lead-1: publication_due"],
    date(2026, 6, 25): ["08:05 channel: publication_due", "08:05 lead-1: publication_due"],
    date(2026, 6, 26): ["08:05 channel: publication_due", "08:05 lead-1: publication_due"],
    date(2026, 6, 29): ["08:05 channel: publication_due", "08:05 lead-1: publication_due"],
    date(2026, 6, 30): ["08:05 channel: publication_due", "08:05 lead-1: publication_due"],
}


async def test_a_whole_jcc_inspection_day_by_day(
    sqlite_database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(sqlite_database)
    sent = await walk(world)
    assert sent == EXPECTED
    # Nothing on weekends, Good Friday (3 April), Easter Monday (6 April), 4 and 25 May.
    for holiday in (date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25)):
        assert holiday not in sent
    assert all(day.weekday() < 5 for day in sent)
    # The clock change: 09:00 in Jersey went out at the 09:05 UTC tick until Friday 27 March
    # and at the 08:05 UTC tick from Monday 30 March.
    assert {entry[:5] for entry in sent[date(2026, 3, 27)]} == {"09:05"}
    assert {entry[:5] for entry in sent[date(2026, 3, 30)]} == {"08:05"}
    entries = await world.outbox.entries(1)
    assert entries and {entry.status for entry in entries} == {"sent"}
    assert len({entry.key for entry in entries}) == len(entries)


async def test_the_walk_messages_say_what_is_missing_and_who_is_told(
    sqlite_database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(sqlite_database)
    await walk(world)
    messages = world.notifier.sent
    told = next(
        m
        for m in messages
        if m.recipient.aad_object_id == "lead-1" and "documents_due" in m.metadata["rules"]
    )
    assert "For information" in told.text and "escalated to the director" in told.text
    channel_escalation = next(
        m for m in messages if m.recipient.kind == "channel" and "3 working days overdue" in m.text
    )
    assert channel_escalation.mentions == ("lo-1", "dir-1")
    assert "<at>Link Officer</at> <at>Director</at>" in channel_escalation.text
    assert "Missing: Self-Evaluation Report" in channel_escalation.text
    agendas = [m for m in messages if m.metadata["rules"] == "kit_agenda"]
    assert len(agendas) == 5
    day_three = agendas[2].text
    assert "Requests answered since the last Keep in Touch meeting: 0" in day_three
    assert "Requests overdue: 1" in day_three
    day_four = agendas[3].text
    assert "Requests answered since the last Keep in Touch meeting: 1" in day_four
    assert "IR-001: Staff rota for April" in day_four
    card = agendas[0].card
    assert card is not None and card["actions"][0]["title"] == "Snooze 1 day"
