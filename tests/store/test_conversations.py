"""SqlConversationStore on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from inspection.conversations import ConversationRef
from inspection.model import Inspection
from store.conversations import SqlConversationStore
from store.database import Database
from store.inspections import SqlInspectionRepository


def _personal(aad: str, conversation: str = "a:chat-1") -> ConversationRef:
    return ConversationRef(
        conversation_id=conversation,
        kind="personal",
        service_url="https://smba.example/emea/",
        tenant_id="tenant-1",
        aad_object_id=aad,
        reference={"conversation": {"id": conversation}, "serviceUrl": "https://smba.example/"},
    )


def _channel(channel: str, team: str = "19:team@thread.tacv2") -> ConversationRef:
    return ConversationRef(
        conversation_id=channel,
        kind="channel",
        service_url="https://smba.example/emea/",
        channel_id=channel,
        team_id=team,
        reference={"conversation": {"id": channel}},
    )


async def test_save_is_an_upsert(database: Database) -> None:
    store = SqlConversationStore(database)
    await store.save(_personal("aad-1"))
    await store.save(
        ConversationRef(**{**_personal("aad-1").__dict__, "service_url": "https://new.example/"})
    )
    found = await store.personal_for("aad-1")
    assert found is not None
    assert found.service_url == "https://new.example/"
    assert found.reference["conversation"]["id"] == "a:chat-1"
    assert await store.personal_for("aad-2") is None


async def test_channels_and_forgetting_a_team(database: Database) -> None:
    store = SqlConversationStore(database)
    await store.save(_channel("19:a@thread.tacv2"))
    await store.save(_channel("19:b@thread.tacv2"))
    await store.save(_channel("19:c@thread.tacv2", team="19:other@thread.tacv2"))
    assert (await store.channel("19:a@thread.tacv2")) is not None
    assert await store.forget_team("19:team@thread.tacv2") == 2
    assert await store.channel("19:a@thread.tacv2") is None
    assert await store.channel("19:c@thread.tacv2") is not None
    await store.forget("19:c@thread.tacv2")
    assert await store.channel("19:c@thread.tacv2") is None


async def test_remembered_inspection_survives_and_clears_on_delete(database: Database) -> None:
    store = SqlConversationStore(database)
    inspection = await SqlInspectionRepository(database).add(
        Inspection(
            "jcc-children-social-care", "full", "Service", date(2026, 3, 23), date(2026, 3, 27)
        )
    )
    await store.save(_personal("aad-1"))
    assert await store.chosen_inspection("a:chat-1") is None
    await store.remember_inspection("a:chat-1", inspection.id)
    assert await store.chosen_inspection("a:chat-1") == inspection.id
    await store.save(_personal("aad-1"))  # a later turn keeps the choice
    assert await store.chosen_inspection("a:chat-1") == inspection.id
    assert await store.chosen_inspection("a:unknown") is None
