"""The per-person conversation state: its key, and a save that lost the race to another
instance. (The follow-up question's slot is a dialog now: tests/dialogs/test_follow_up.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botbuilder.core import MemoryStorage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from dialogs.runner import DialogRunner
from dialogs.state import PersonInConversationState
from dialogs.storage import StateConflict
from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.requests import RequestLog
from tests.fakes.request_log import FakeInspectionRepository, FakeRequestRepository
from tests.inspection.test_requests import INSPECTION

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _message(conversation: str, sender: str) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        text="hi",
        channel_id="msteams",
        conversation=ConversationAccount(id=conversation),
        from_property=ChannelAccount(id=sender),
    )


def test_the_key_is_the_channel_and_the_person_not_the_thread() -> None:
    state = PersonInConversationState(MemoryStorage())
    adapter = TestAdapter()
    one = TurnContext(adapter, _message("19:c@thread.tacv2;messageid=1", "29:a"))
    two = TurnContext(adapter, _message("19:c@thread.tacv2;messageid=2", "29:a"))
    other = TurnContext(adapter, _message("19:c@thread.tacv2;messageid=2", "29:b"))
    assert state.get_storage_key(one) == state.get_storage_key(two)
    assert state.get_storage_key(one) == "msteams/conversations/19:c@thread.tacv2/users/29:a"
    assert state.get_storage_key(one) != state.get_storage_key(other)


class LosingStorage(MemoryStorage):  # type: ignore[misc]
    async def write(self, changes: Any) -> None:
        raise StateConflict("k")


async def test_a_save_that_lost_the_race_is_said(frameworks: FrameworkRegistry) -> None:
    clock = FixedClock(T0)
    log = RequestLog(
        FakeRequestRepository(), FakeInspectionRepository(INSPECTION), frameworks, clock
    )
    runner = DialogRunner(LosingStorage(), log, clock)

    async def logic(context: TurnContext) -> None:
        await runner.load(context)
        await runner.state.create_property("probe").set(context, "something")
        await runner.save(context)

    adapter = TestAdapter(logic)
    await adapter.send("hello")
    [said] = [a.text for a in adapter.activity_buffer]
    assert "Two of your messages arrived at the same time" in said
