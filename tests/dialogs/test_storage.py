"""The bot's conversation state in the database (SQLite and PostgreSQL): read, write, delete,
eTags refusing a stale write, and botbuilder's own state and dialogs on top of it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from botbuilder.core import ConversationState, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogSet, DialogTurnStatus, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.choices import Choice
from botbuilder.dialogs.prompts import ChoicePrompt, PromptOptions
from sqlalchemy import update

from dialogs.storage import SqlStorage, StateConflict
from inspection.clock import FixedClock
from store.bot_state_tables import BotStateRow
from store.database import Database

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_read_write_delete(database: Database) -> None:
    storage = SqlStorage(database)
    assert await storage.read(["a", "b"]) == {}
    await storage.write({"a": {"count": 1, "words": ["x", "y"]}, "b": {"nested": {"k": None}}})
    found = await storage.read(["a", "b", "missing"])
    assert set(found) == {"a", "b"}
    assert found["a"]["count"] == 1 and found["a"]["words"] == ["x", "y"]
    assert found["b"]["nested"] == {"k": None}
    assert found["a"]["e_tag"] and found["a"]["e_tag"] != found["b"]["e_tag"]
    await storage.delete(["a", "missing"])
    assert set(await storage.read(["a", "b"])) == {"b"}


async def test_a_stale_etag_is_refused_and_nothing_of_that_write_is_kept(
    database: Database,
) -> None:
    storage = SqlStorage(database)
    await storage.write({"k": {"step": 1}})
    first = (await storage.read(["k"]))["k"]
    second = (await storage.read(["k"]))["k"]
    first["step"] = 2
    await storage.write({"k": first})
    # `first` now carries the new eTag: the same turn may save again.
    first["step"] = 3
    await storage.write({"k": first})
    second["step"] = 99
    with pytest.raises(StateConflict):
        await storage.write({"other": {"fine": True}, "k": second})
    assert (await storage.read(["k"]))["k"]["step"] == 3
    assert await storage.read(["other"]) == {}  # one transaction: all or nothing
    # "*" and no eTag overwrite whatever is there (botbuilder's contract).
    second["e_tag"] = "*"
    await storage.write({"k": second})
    assert (await storage.read(["k"]))["k"]["step"] == 99


async def test_a_write_with_an_etag_to_a_removed_document_is_a_conflict(
    database: Database,
) -> None:
    storage = SqlStorage(database)
    await storage.write({"k": {"step": 1}})
    read = (await storage.read(["k"]))["k"]
    await storage.delete(["k"])
    with pytest.raises(StateConflict):
        await storage.write({"k": read})


async def test_concurrent_writers_one_wins(database: Database) -> None:
    storage = SqlStorage(database)
    await storage.write({"k": {"n": 0}})
    copies = [(await storage.read(["k"]))["k"] for _ in range(5)]
    for number, copy in enumerate(copies):
        copy["n"] = number + 1
    results = await asyncio.gather(
        *(storage.write({"k": copy}) for copy in copies), return_exceptions=True
    )
    won = [r for r in results if r is None]
    lost = [r for r in results if isinstance(r, StateConflict)]
    assert len(won) == 1 and len(lost) == 4
    assert (await storage.read(["k"]))["k"]["n"] == copies[results.index(None)]["n"]


async def test_bad_keys_and_empty_etags_are_refused(database: Database) -> None:
    storage = SqlStorage(database)
    with pytest.raises(ValueError, match="state key"):
        await storage.write({"x" * 1001: {}})
    with pytest.raises(ValueError, match="empty eTag"):
        await storage.write({"k": {"e_tag": ""}})
    await storage.write({})  # nothing to do
    assert await storage.read([]) == {}


async def test_a_document_naming_a_foreign_class_is_never_rebuilt(database: Database) -> None:
    storage = SqlStorage(database)
    await storage.write({"k": {"fine": 1}, "j": {"fine": 2}})
    evil = {"x": {"py/reduce": [{"py/function": "os.system"}, {"py/tuple": ["true"]}]}}
    other = {"x": {"py/object": "subprocess.Popen"}}
    async with database.session() as session:
        await session.execute(
            update(BotStateRow).where(BotStateRow.key == "k").values(document=json.dumps(evil))
        )
        await session.execute(
            update(BotStateRow).where(BotStateRow.key == "j").values(document=json.dumps(other))
        )
    # Dropped (the conversation starts afresh), not rebuilt and not an error for the user.
    assert await storage.read(["k", "j"]) == {}


async def test_purge_forgets_old_conversations(database: Database) -> None:
    clock = FixedClock(T0)
    storage = SqlStorage(database, clock=clock)
    await storage.write({"old": {"n": 1}})
    clock.advance(timedelta(days=40))
    await storage.write({"new": {"n": 2}})
    assert await storage.purge(T0 + timedelta(days=30)) == 1
    assert set(await storage.read(["old", "new"])) == {"new"}


async def test_a_dialog_survives_a_new_storage_object(database: Database) -> None:
    """botbuilder's ConversationState and a prompt, the state read back by another instance."""

    def build(storage: SqlStorage) -> tuple[ConversationState, DialogSet]:
        state = ConversationState(storage)
        dialogs = DialogSet(state.create_property("dialogs"))

        async def ask(step: WaterfallStepContext) -> object:
            return await step.prompt(
                "choice",
                PromptOptions(
                    prompt=MessageFactory.text("Which request?"),
                    choices=[Choice("IR-004"), Choice("IR-005")],
                ),
            )

        async def done(step: WaterfallStepContext) -> object:
            await step.context.send_activity(f"You chose {step.result.value}")
            return await step.end_dialog()

        dialogs.add(WaterfallDialog("answer", [ask, done]))
        dialogs.add(ChoicePrompt("choice"))
        return state, dialogs

    def logic(state: ConversationState, dialogs: DialogSet) -> object:
        async def run(context: TurnContext) -> None:
            dialog_context = await dialogs.create_context(context)
            result = await dialog_context.continue_dialog()
            if result.status == DialogTurnStatus.Empty:
                await dialog_context.begin_dialog("answer")
            await state.save_changes(context)

        return run

    first = TestAdapter(logic(*build(SqlStorage(database))))
    await first.send("answer")
    assert first.activity_buffer[-1].text.startswith("Which request?")
    # A restart: new objects, same database, same conversation.
    second = TestAdapter(logic(*build(SqlStorage(database))))
    await second.send("IR-005")
    assert second.activity_buffer[-1].text == "You chose IR-005"
