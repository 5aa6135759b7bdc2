"""Conversation state kept in the database (dialogs/storage.py), per person per conversation.

Why not botbuilder's plain `ConversationState`: in a Teams channel every thread has its own
conversation id (";messageid=..."), and several people talk to the bot in the same channel.
What the bot is waiting for belongs to one person in the whole channel, so the key is the
channel (root conversation) and the person: a `PrivateConversationState` on the root id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botbuilder.core import PrivateConversationState, Storage, TurnContext

from inspection.clock import Clock

# bot/router.py: how long the bot waits for the answer to its question before forgetting it.
PENDING = timedelta(minutes=15)
FOLLOW_UP_PROPERTY = "follow_up"
DIALOGS_PROPERTY = "dialogs"


class PersonInConversationState(PrivateConversationState):  # type: ignore[misc]
    def __init__(self, storage: Storage) -> None:
        super().__init__(storage, namespace="inspection-bot")

    def get_storage_key(self, turn_context: TurnContext) -> str:
        activity = turn_context.activity
        channel = activity.channel_id or "msteams"
        conversation = (activity.conversation.id if activity.conversation else None) or ""
        sender = activity.from_property.id if activity.from_property else None
        if not conversation or not sender:
            raise TypeError("a conversation state needs the conversation and the sender")
        root = conversation.split(";messageid=")[0]
        return f"{channel}/conversations/{root}/users/{sender}"


class StoredFollowUps:
    """`Reply.expect` for one turn (bot/router.py `FollowUps`), in the persistent state."""

    def __init__(
        self, state: PersonInConversationState, context: TurnContext, clock: Clock
    ) -> None:
        self._accessor = state.create_property(FOLLOW_UP_PROPERTY)
        self._context = context
        self._clock = clock

    async def take(self) -> str | None:
        value: Any = await self._accessor.get(self._context)
        if value is None:
            return None
        await self._accessor.delete(self._context)
        if not isinstance(value, dict) or not isinstance(value.get("expect"), str):
            return None
        try:
            since = datetime.fromisoformat(str(value.get("since")))
        except ValueError:
            return None
        if self._clock.now() - since > PENDING:
            return None
        return str(value["expect"])

    async def put(self, expect: str) -> None:
        await self._accessor.set(
            self._context, {"expect": expect, "since": self._clock.now().isoformat()}
        )
