"""Sending messages the bot was not asked for (reminders, chases): the `Notifier` port.

The domain decides what to say and to whom; an adapter (bot/) delivers it through Teams'
proactive messaging, using the conversation references stored by the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol


class DeliveryStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # kept, shown to the lead inspector, retried later
    NO_CONVERSATION = "no_conversation"  # the bot has no conversation with that person yet


@dataclass(frozen=True)
class Recipient:
    """The inspection's channel, or one person's personal chat with the bot."""

    kind: Literal["channel", "person"]
    inspection_id: int
    aad_object_id: str | None = None

    @classmethod
    def channel(cls, inspection_id: int) -> Recipient:
        return cls("channel", inspection_id)

    @classmethod
    def person(cls, inspection_id: int, aad_object_id: str) -> Recipient:
        return cls("person", inspection_id, aad_object_id)


@dataclass(frozen=True)
class OutgoingMessage:
    recipient: Recipient
    text: str
    # An Adaptive Card (schema 1.5) as JSON, shown instead of / with the text.
    card: dict[str, Any] | None = None
    # People to @mention in a channel message (Entra object ids).
    mentions: tuple[str, ...] = ()
    # Idempotency key of the reminder this message delivers (the outbox's key).
    key: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    status: DeliveryStatus
    activity_id: str | None = None
    detail: str = ""


class Notifier(Protocol):
    async def send(self, message: OutgoingMessage) -> Delivery: ...
