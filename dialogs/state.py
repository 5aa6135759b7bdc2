"""Conversation state kept in the database (dialogs/storage.py), per person per conversation.

Why not botbuilder's plain `ConversationState`: in a Teams channel every thread has its own
conversation id (";messageid=..."), and several people talk to the bot in the same channel.
What the bot is waiting for belongs to one person in the whole channel, so the key is the
channel (root conversation) and the person: a `PrivateConversationState` on the root id.
"""

from __future__ import annotations

from botbuilder.core import PrivateConversationState, Storage, TurnContext

from bot.activities import root_conversation

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
        root = root_conversation(conversation)
        return f"{channel}/conversations/{root}/users/{sender}"
