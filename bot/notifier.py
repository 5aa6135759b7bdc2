"""`TeamsNotifier`: proactive messages through Bot Framework, paced and retried.

The domain hands over an `OutgoingMessage` (a channel or a person, text, an Adaptive Card,
people to @mention). This finds the stored conversation reference, paces the send to Teams'
per-conversation limits (7 messages per second, 8 per 2 seconds, 60 per 30 seconds, 1,800 per
hour) and retries 429, 412, 502 and 504 with exponential backoff and jitter (after Retry-After
when Teams gives one). What still fails comes back as a FAILED delivery: the dispatcher keeps it
in the outbox, the lead inspector sees it in `status`, and a later tick retries it.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationReference,
    Mention,
)

import metrics
from inspection.conversations import ConversationRef, ConversationStore
from inspection.errors import NotFound
from inspection.notifier import Delivery, DeliveryStatus, OutgoingMessage, Recipient
from inspection.repository import InspectionRepository

log = logging.getLogger("bot.notifier")

# Teams' limits for one bot in one conversation: (messages, seconds).
TEAMS_LIMITS: tuple[tuple[int, float], ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
RETRYABLE = frozenset({429, 412, 502, 504})
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


class SendError(Exception):
    """A send that Teams refused: its HTTP status (None: no answer) and Retry-After seconds."""

    def __init__(self, status: int | None, detail: str, retry_after: float | None = None):
        super().__init__(detail)
        self.status = status
        self.retry_after = retry_after


class ProactivePoster(Protocol):
    async def post(self, ref: ConversationRef, activity: Activity) -> str | None:
        """Send one activity into the conversation; its id. Raises SendError."""
        ...


class ConversationPacer:
    """Waits until one more message fits every window of every limit, per conversation."""

    def __init__(
        self,
        limits: tuple[tuple[int, float], ...] = TEAMS_LIMITS,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._monotonic = monotonic
        self._sleep = sleep
        self._longest = max(seconds for _, seconds in limits)
        self._sent: dict[str, list[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _delay(self, stamps: list[float], now: float) -> float:
        wait = 0.0
        for count, seconds in self.limits:
            # Sends inside (now - seconds, now]: at most count - 1 may be there to add one.
            start = bisect.bisect_right(stamps, now - seconds)
            inside = len(stamps) - start
            if inside >= count:
                oldest_that_must_leave = stamps[len(stamps) - count]
                wait = max(wait, oldest_that_must_leave + seconds - now)
        return wait

    async def wait(self, conversation_id: str) -> None:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            stamps = self._sent.setdefault(conversation_id, [])
            while True:
                now = self._monotonic()
                # Forget what no window can see any more.
                drop = bisect.bisect_right(stamps, now - self._longest)
                del stamps[:drop]
                delay = self._delay(stamps, now)
                if delay <= 0:
                    stamps.append(now)
                    return
                await self._sleep(delay)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_seconds: float = 1.0
    max_seconds: float = 60.0

    def backoff(self, attempt: int, jitter: float) -> float:
        """Exponential (base, 2x base, 4x base...) with jitter in [0.5, 1.5) of the step."""
        return float(min(self.max_seconds, self.base_seconds * 2**attempt * (0.5 + jitter)))


class TeamsNotifier:
    """`inspection.notifier.Notifier` over the Bot Framework adapter."""

    def __init__(
        self,
        poster: ProactivePoster,
        conversations: ConversationStore,
        inspections: InspectionRepository,
        *,
        pacer: ConversationPacer | None = None,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._poster = poster
        self._conversations = conversations
        self._inspections = inspections
        self._pacer = pacer or ConversationPacer(sleep=sleep)
        self._retry = retry
        self._sleep = sleep
        self._jitter = jitter

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
        last = ""
        for attempt in range(self._retry.attempts):
            await self._pacer.wait(ref.conversation_id)
            try:
                activity_id = await self._poster.post(ref, activity)
            except SendError as exc:
                last = f"Teams answered {exc.status or 'nothing'}: {exc}"
                if exc.status is not None and exc.status not in RETRYABLE:
                    break
                if attempt + 1 == self._retry.attempts:
                    break
                metrics.CONNECTOR_RETRIES.labels(status=str(exc.status or "none")).inc()
                delay = self._retry.backoff(attempt, self._jitter())
                if exc.retry_after is not None:
                    # Teams said when: wait that long, plus a little jitter so that many
                    # conversations do not all come back at the same instant.
                    delay = exc.retry_after + self._jitter() * self._retry.base_seconds * 0.1
                log.info("send to %s: %s; retrying in %.2fs", ref.conversation_id, last, delay)
                await self._sleep(delay)
                continue
            return Delivery(DeliveryStatus.SENT, activity_id=activity_id)
        return Delivery(DeliveryStatus.FAILED, detail=f"{last} (kept; will be retried later)")


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


class AdapterPoster:
    """Posts through botbuilder's `continue_conversation` with a stored reference."""

    def __init__(self, adapter: Any, app_id: str) -> None:
        self._adapter = adapter
        self._app_id = app_id

    async def post(self, ref: ConversationRef, activity: Activity) -> str | None:
        reference = ConversationReference().deserialize(ref.reference)
        if not reference.service_url:
            reference.service_url = ref.service_url
        result: dict[str, str | None] = {}
        failure: list[Exception] = []

        async def callback(context: TurnContext) -> None:
            # Caught here: the adapter would hand it to on_turn_error and report success.
            try:
                response = await context.send_activity(activity)
            except Exception as exc:
                failure.append(exc)
                return
            result["id"] = getattr(response, "id", None)

        try:
            await self._adapter.continue_conversation(reference, callback, self._app_id)
        except Exception as exc:
            raise _send_error(exc) from exc
        if failure:
            raise _send_error(failure[0]) from failure[0]
        return result.get("id")


def _send_error(exc: Exception) -> SendError:
    """The HTTP status and Retry-After from whatever the connector raised."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None) or {}
    retry_after: float | None = None
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    if raw is not None:
        try:
            retry_after = max(0.0, float(raw))
        except ValueError:
            retry_after = None
    detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return SendError(int(status) if status else None, detail, retry_after)
