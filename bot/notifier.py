"""`TeamsNotifier`: the domain's `Notifier` port over Bot Framework proactive messages.

The domain hands over an `OutgoingMessage` (a channel or a person, text, an Adaptive Card,
people to @mention). This finds the stored conversation reference and posts through the one
sender (`bot/sender.py`), which paces to Teams' per-conversation limits and retries what Teams
asks to be retried. What still fails comes back as a FAILED delivery: the dispatcher keeps it in
the outbox, the lead inspector sees it in `status`, and a later tick retries it.
"""

from __future__ import annotations

from botbuilder.schema import Activity, ActivityTypes, Attachment, ChannelAccount, Mention

from bot.sender import Poster, SendError
from inspection.conversations import ConversationRef, ConversationStore
from inspection.errors import NotFound
from inspection.notifier import Delivery, DeliveryStatus, OutgoingMessage, Recipient
from inspection.repository import InspectionRepository

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


class TeamsNotifier:
    """`inspection.notifier.Notifier` over the Bot Framework adapter."""

    def __init__(
        self,
        poster: Poster,
        conversations: ConversationStore,
        inspections: InspectionRepository,
    ) -> None:
        self._poster = poster
        self._conversations = conversations
        self._inspections = inspections

    async def _conversation(self, recipient: Recipient) -> tuple[ConversationRef | None, str]:
        if recipient.kind == "person":
            assert recipient.aad_object_id is not None
            ref = await self._conversations.personal_for(recipient.aad_object_id)
            why = (
                "the bot has no personal chat with this person yet; ask them to open a chat "
                "with the bot in Teams (or install it for them)"
            )
            return ref, why
        try:
            inspection = await self._inspections.get(recipient.inspection_id)
        except NotFound:
            return None, f"inspection {recipient.inspection_id} no longer exists"
        if inspection.channel is None:
            return None, "the inspection has no channel yet; set up its channel first"
        ref = await self._conversations.channel(inspection.channel.channel_id)
        return ref, "the bot is not in the inspection channel; add the bot to the team"

    async def send(self, message: OutgoingMessage) -> Delivery:
        ref, why = await self._conversation(message.recipient)
        if ref is None:
            return Delivery(DeliveryStatus.NO_CONVERSATION, detail=why)
        activity = build_activity(message)
        try:
            activity_id = await self._poster.post(ref, activity)
        except SendError as exc:
            # Already paced and retried (bot/sender.py): kept in the outbox for a later tick.
            return Delivery(DeliveryStatus.FAILED, detail=f"{exc} (kept; will be retried later)")
        return Delivery(DeliveryStatus.SENT, activity_id=activity_id)


def build_activity(message: OutgoingMessage) -> Activity:
    """Text (with <at> tags for mentions) plus the Adaptive Card, as Teams expects them."""
    # Mention objects, not dicts: msrest serialises a dict entity as a bare {"type": ...} and
    # Teams would show the <at> text without notifying anyone.
    entities: list[Mention] = []
    for aad in message.mentions:
        name = message.metadata.get(f"mention:{aad}", "colleague")
        entities.append(
            Mention(
                mentioned=ChannelAccount(id=aad, name=name, aad_object_id=aad),
                text=f"<at>{name}</at>",
                type="mention",
            )
        )
    attachments = (
        [Attachment(content_type=ADAPTIVE_CARD, content=message.card)] if message.card else []
    )
    if message.card is not None:
        # The card carries the detail; the text keeps the mentions (Teams needs them in text).
        first = message.text.split("\n", 1)[0]
        tags = " ".join(str(e.text) for e in entities)
        text = f"{first}\n\n{tags}" if tags else first
    else:
        text = message.text
    return Activity(
        type=ActivityTypes.message,
        text=text,
        text_format="markdown",
        attachments=attachments,
        entities=entities or None,
    )
