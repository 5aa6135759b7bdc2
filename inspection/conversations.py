"""Where the bot can post later: conversation references stored from every turn (port)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ConversationKind = Literal["channel", "personal", "groupChat"]


@dataclass(frozen=True)
class ConversationRef:
    """A Teams conversation the bot has been part of, enough to post into it proactively.

    `reference` holds the Bot Framework ConversationReference as JSON; only bot/ reads it.
    """

    conversation_id: str
    kind: ConversationKind
    service_url: str
    tenant_id: str | None = None
    # personal chats: whose chat it is; channels: None.
    aad_object_id: str | None = None
    # channels: the Teams channel id ("19:...@thread.tacv2") and the team id.
    channel_id: str | None = None
    team_id: str | None = None
    reference: dict[str, Any] = field(default_factory=dict)


class ConversationStore(Protocol):
    async def save(self, ref: ConversationRef) -> None:
        """Insert or refresh (by conversation_id)."""
        ...

    async def personal_for(self, aad_object_id: str) -> ConversationRef | None: ...

    async def channel(self, channel_id: str) -> ConversationRef | None:
        """The channel's conversation (the root of the channel, not a reply thread)."""
        ...

    async def forget(self, conversation_id: str) -> None:
        """The bot was removed from the conversation."""
        ...
