"""The live checklist card in each inspection channel, and the questions about files.

`ChecklistBoard.on_sync` is the `SyncListener` the Files poller and the change notifications
call: after every sync of the channel's Files it records the changes (`inspection.intake`),
replaces the channel's checklist card in place through the sender (`Sender.update_posted` of
the card it last posted, whose id is kept in `store.checklist_cards`; a new card when there is
none or it is gone), and asks the link officer about ambiguous files: in their personal chat,
else in the channel with an @mention of them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import Json
from bot.cards import card as make_card
from bot.cards import text as text_block
from bot.features.checklist import cards
from bot.router import Reply
from bot.sender import Sender
from inspection.checklist import ChecklistState, Question
from inspection.clock import Clock
from inspection.conversations import ConversationStore
from inspection.frameworks import FrameworkRegistry
from inspection.intake import ChecklistIntake, IntakeResult, question_recipients
from inspection.model import Inspection
from inspection.notifier import DeliveryStatus, Notifier, OutgoingMessage, Recipient
from inspection.workspace import SyncResult
from store.checklist_cards import SqlChecklistCards

log = logging.getLogger(__name__)

# Question cards sent to the link officer after one sync; the rest are summed up in one message.
MAX_QUESTIONS = 5


def zone_of(frameworks: FrameworkRegistry, inspection: Inspection) -> ZoneInfo:
    zone: ZoneInfo = frameworks.get(inspection.framework).zone
    return zone


class ChecklistBoard:
    """Keeps each inspection's checklist card in its channel current and asks the questions."""

    def __init__(
        self,
        intake: ChecklistIntake,
        cards: SqlChecklistCards,
        *,
        sender: Sender,
        notifier: Notifier,
        conversations: ConversationStore,
        frameworks: FrameworkRegistry,
        clock: Clock,
    ) -> None:
        self.intake = intake
        self.cards = cards
        self._sender = sender
        self._notifier = notifier
        self._conversations = conversations
        self._frameworks = frameworks
        self._clock = clock
        self._locks: dict[int, asyncio.Lock] = {}
        # Inspections whose last sync could not be recorded: reconciled on the next poll.
        self.behind: set[int] = set()

    async def on_sync(self, inspection: Inspection, result: SyncResult) -> IntakeResult:
        """The `SyncListener`: record, update the card, ask about ambiguous files."""
        assert inspection.id is not None
        try:
            outcome = await self.intake.record_sync(inspection, result)
        except Exception:
            self.behind.add(inspection.id)
            raise
        await self.show(inspection, outcome)
        return outcome

    async def catch_up(self, inspection: Inspection) -> IntakeResult:
        """Reconcile with the files the last sync knows of (after a failed recording, or at
        start-up); shows the outcome like a sync."""
        assert inspection.id is not None
        outcome = await self.intake.reconcile(inspection)
        self.behind.discard(inspection.id)
        await self.show(inspection, outcome)
        return outcome

    async def show(self, inspection: Inspection, outcome: IntakeResult) -> None:
        if outcome.changed and outcome.state is not None:
            await self.publish(inspection, outcome.state)
        if outcome.new_questions and outcome.state is not None:
            await self.ask(inspection, outcome.state, outcome.new_questions)

    async def publish(
        self, inspection: Inspection, state: ChecklistState | None = None, *, new: bool = False
    ) -> str | None:
        """Update the channel's checklist card in place; post one if there is none (or `new`).
        Returns the card's activity id, None when the bot cannot post in the channel."""
        assert inspection.id is not None
        if inspection.channel is None:
            return None
        lock = self._locks.setdefault(inspection.id, asyncio.Lock())
        async with lock:
            state = state or await self.intake.state(inspection)
            now = self._clock.now()
            card = cards.checklist_card(
                inspection, state, updated_at=now, zone=zone_of(self._frameworks, inspection)
            )
            summary = f"Document checklist: {cards.counts_line(state)}"
            existing = None if new else await self.cards.get(inspection.id)
            if existing is not None and await self._update(
                inspection, existing.conversation_id, existing.activity_id, summary, card
            ):
                await self.cards.updated(inspection.id, now)
                return existing.activity_id
            delivery = await self._notifier.send(
                OutgoingMessage(Recipient.channel(inspection.id), summary, card=card)
            )
            if delivery.status != DeliveryStatus.SENT or not delivery.activity_id:
                log.info("checklist card not posted: %s", delivery.detail)
                return None
            ref = await self._conversations.channel(inspection.channel.channel_id)
            if ref is not None:
                await self.cards.posted(
                    inspection.id, ref.conversation_id, delivery.activity_id, now
                )
            return delivery.activity_id

    async def refresh(self, inspection: Inspection, state: ChecklistState) -> None:
        """`publish` after a change made in a turn: a failure is logged, not raised, since the
        turn's own answer matters more than the channel's card."""
        try:
            await self.publish(inspection, state)
        except Exception:
            log.warning("checklist card not refreshed", exc_info=True)

    async def _update(
        self,
        inspection: Inspection,
        conversation_id: str,
        activity_id: str,
        summary: str,
        card: dict[str, Any],
    ) -> bool:
        if inspection.channel is None:
            return False
        ref = await self._conversations.channel(inspection.channel.channel_id)
        if ref is None:
            return False
        reply = Reply(text=summary, card=card)
        return await self._sender.update_posted(ref, conversation_id, activity_id, reply)

    async def ask(
        self, inspection: Inspection, state: ChecklistState, questions: tuple[Question, ...]
    ) -> None:
        """Each question to the link officer's personal chat, else to the channel with an
        @mention of them."""
        if inspection.id is None:
            return
        urls = {
            ref.file_id: ref.web_url
            for refs in (state.unmatched, *(item.files for item in state.items))
            for ref in refs
        }
        asked = [
            (q.text, cards.question_card(inspection, q, urls.get(q.file_id))) for q in questions
        ]
        if len(asked) > MAX_QUESTIONS:
            # A first upload of a whole folder can raise dozens: a few cards, then one message.
            rest = len(asked) - MAX_QUESTIONS + 1
            asked = asked[: MAX_QUESTIONS - 1]
            summary = (
                f"I have {rest} more questions about files I couldn't place. They are listed on "
                "the checklist card in the channel; answer by saying what a file is, e.g. "
                "\"'Data Nov.xlsx' is the staffing data\"."
            )
            asked.append((summary, make_card([text_block(summary)])))
        for message, content in asked:
            await self._to_link_officer(inspection, message, content)

    async def _to_link_officer(self, inspection: Inspection, message: str, content: Json) -> None:
        notifier = self._notifier
        assert inspection.id is not None
        unreached: list[str] = []
        for aad in question_recipients(inspection):
            delivery = await notifier.send(
                OutgoingMessage(Recipient.person(inspection.id, aad), message, card=content)
            )
            if delivery.status == DeliveryStatus.NO_CONVERSATION:
                unreached.append(aad)
        if unreached:
            names = {m.aad_object_id: m.display_name or "link officer" for m in inspection.members}
            await notifier.send(
                OutgoingMessage(
                    Recipient.channel(inspection.id),
                    message,
                    card=content,
                    mentions=tuple(unreached),
                    metadata={
                        f"mention:{aad}": names.get(aad, "link officer") for aad in unreached
                    },
                )
            )
