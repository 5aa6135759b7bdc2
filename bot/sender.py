"""The one way out: every message the bot sends, updates or posts proactively leaves through here.

Teams limits each bot in each conversation (7 messages a second, 8 in 2 seconds, 60 in 30
seconds, 1,800 an hour) and answers 429, 412, 502 or 504 when it wants a send tried again
later. One `SendPolicy` paces every send to those limits and retries those statuses with
exponential backoff and jitter, after `Retry-After` when Teams gives one (capped, so that one
answer cannot park a conversation for an hour). It sits in two places that together cover
every connector call:

- `PacedCloudAdapter`: botbuilder's `CloudAdapter` whose public `send_activities` and
  `update_activity` go through the policy, so a reply in a turn, a dialog's prompt and a
  proactive post are paced and retried alike;
- `Sender`: what the rest of the bot calls: `reply` (a handler's `Reply` in its turn: update
  in place, the personal chat instead, follow-on messages, a dialog to start), `post` and
  `update_posted` (proactive, from a stored conversation reference: reminders, the checklist
  card), `open_channel_thread`, and `read` for the connector's member look-ups.

What still fails after the retries is a `SendError` with the HTTP status Teams gave.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

import aiohttp
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
    ResourceResponse,
)
from msrest.exceptions import ClientRequestError  # type: ignore[attr-defined]

import metrics
from bot.activities import channel_data, root_conversation_id
from bot.router import DialogStart, Reply
from inspection.conversations import ConversationRef

log = logging.getLogger("bot.sender")
T = TypeVar("T")

# Teams' limits for one bot in one conversation: (messages, seconds).
TEAMS_LIMITS: tuple[tuple[int, float], ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
RETRYABLE = frozenset({429, 412, 502, 504})

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


class SendError(Exception):
    """A send that Teams refused: its HTTP status (None: no answer) and Retry-After seconds.

    `final`: the policy already retried it; an outer caller must not try again."""

    def __init__(
        self,
        status: int | None,
        detail: str,
        retry_after: float | None = None,
        *,
        final: bool = False,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.retry_after = retry_after
        self.final = final


def send_error(exc: BaseException) -> SendError:
    """The HTTP status and Retry-After of whatever the connector raised (msrest's
    `HttpOperationError`, aiohttp's errors, or our own)."""
    if isinstance(exc, SendError):
        return exc
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers: Any = getattr(response, "headers", None) or {}
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    retry_after: float | None = None
    if raw is not None:
        try:
            retry_after = max(0.0, float(raw))
        except (TypeError, ValueError):
            retry_after = None
    detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return SendError(int(status) if isinstance(status, int) else None, detail, retry_after)


def _from_teams(exc: BaseException) -> bool:
    """Teams answered with an error status, or did not answer at all."""
    return (
        isinstance(exc, SendError | ClientRequestError | aiohttp.ClientError | TimeoutError)
        or getattr(exc, "response", None) is not None
    )


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
            if len(stamps) - start >= count:
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
                del stamps[: bisect.bisect_right(stamps, now - self._longest)]
                delay = self._delay(stamps, now)
                if delay <= 0:
                    stamps.append(now)
                    if not stamps[:-1]:
                        self._forget_idle(now)
                    return
                await self._sleep(delay)

    def _forget_idle(self, now: float) -> None:
        """Conversations with nothing inside the longest window hold no state worth keeping."""
        if len(self._sent) < 10_000:
            return
        for key in [k for k, v in self._sent.items() if not v or v[-1] <= now - self._longest]:
            lock = self._locks.get(key)
            if lock is None or not lock.locked():
                self._sent.pop(key, None)
                self._locks.pop(key, None)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_seconds: float = 1.0
    max_seconds: float = 60.0
    # The longest Retry-After honoured as given; longer ones wait this long.
    max_retry_after: float = 30.0

    def backoff(self, attempt: int, jitter: float) -> float:
        """Exponential (base, 2x base, 4x base...) with jitter in [0.5, 1.5) of the step."""
        return float(min(self.max_seconds, self.base_seconds * 2**attempt * (0.5 + jitter)))

    def after(self, retry_after: float, jitter: float) -> float:
        """Teams said when: that long (capped), plus a little jitter so that many
        conversations do not all come back at the same instant."""
        return min(retry_after, self.max_retry_after) + jitter * self.base_seconds * 0.1


class SendPolicy:
    """Pacing and retrying, the same for every send."""

    def __init__(
        self,
        retry: RetryPolicy = RetryPolicy(),
        *,
        pacer: ConversationPacer | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.retry = retry
        self.pacer = pacer or ConversationPacer(sleep=sleep)
        self.sleep = sleep
        self.jitter = jitter

    async def deliver(self, conversation_id: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one send in its conversation's pace; retry what Teams asks to be retried.
        Raises a final `SendError` when it still fails."""
        return await self._attempts(call, conversation_id)

    async def read(self, call: Callable[[], Awaitable[T]]) -> T:
        """A connector read (members of a conversation): retried alike, not paced."""
        return await self._attempts(call, None)

    async def _attempts(self, call: Callable[[], Awaitable[T]], conversation_id: str | None) -> T:
        retry = self.retry
        for attempt in range(retry.attempts):
            if conversation_id is not None:
                await self.pacer.wait(conversation_id)
            try:
                return await call()
            except Exception as exc:
                if not _from_teams(exc):
                    raise  # not a send that failed: a bug, not something to retry
                error = send_error(exc)
                if error.final:
                    raise
                retryable = error.status is None or error.status in RETRYABLE
                if not retryable or attempt + 1 == retry.attempts:
                    raise SendError(
                        error.status,
                        f"Teams answered {error.status or 'nothing'}: {error}",
                        error.retry_after,
                        final=True,
                    ) from exc
                metrics.CONNECTOR_RETRIES.labels(status=str(error.status or "none")).inc()
                if error.retry_after is not None:
                    delay = retry.after(error.retry_after, self.jitter())
                else:
                    delay = retry.backoff(attempt, self.jitter())
                log.info("send refused (%s); retrying in %.2fs", error.status or "no answer", delay)
                await self.sleep(delay)
        raise AssertionError("unreachable")


class PacedCloudAdapter(CloudAdapter):  # type: ignore[misc]
    """botbuilder's CloudAdapter with every connector send and update under one `SendPolicy`
    (its public `send_activities` and `update_activity`, one activity at a time)."""

    def __init__(self, authentication: Any, policy: SendPolicy) -> None:
        super().__init__(authentication)
        self.policy = policy

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        responses: list[ResourceResponse] = []
        for activity in activities:
            if activity.type in (ActivityTypes.invoke_response, ActivityTypes.trace, "delay"):
                responses.extend(await super().send_activities(context, [activity]))
                continue

            async def one(activity: Activity = activity) -> list[ResourceResponse]:
                sent: list[ResourceResponse] = await super(PacedCloudAdapter, self).send_activities(
                    context, [activity]
                )
                return sent

            responses.extend(await self.policy.deliver(_conversation_of(activity), one))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> Any:
        async def once() -> Any:
            return await super(PacedCloudAdapter, self).update_activity(context, activity)

        return await self.policy.deliver(_conversation_of(activity), once)


def _conversation_of(activity: Activity) -> str:
    return root_conversation_id(activity)


class Poster(Protocol):
    """What proactive senders need (`bot.notifier.TeamsNotifier`, the checklist board)."""

    async def post(self, ref: ConversationRef, activity: Activity) -> str | None: ...


BeginDialog = Callable[[TurnContext, DialogStart], Awaitable[None]]


class Sender:
    """Every outbound message of the bot. Built once, in the composition root."""

    def __init__(self, adapter: PacedCloudAdapter, app_id: str) -> None:
        self.adapter = adapter
        self.policy = adapter.policy
        self._app_id = app_id
        self._begin_dialog: BeginDialog | None = None

    def on_dialog(self, begin: BeginDialog) -> None:
        """Where a `Reply(dialog=...)` is started (the dialog runner)."""
        self._begin_dialog = begin

    # --- in a turn -----------------------------------------------------------------------
    async def reply(
        self, context: TurnContext, reply: Reply, card_activity_id: str | None = None
    ) -> None:
        """A handler's reply in its turn: in place of the card whose button was pressed (or a
        named earlier message), else a new message; in the sender's personal chat when the
        reply is private; then the follow-on replies and the dialog it starts."""
        if reply.private:
            await self._reply_privately(context, reply)
            return
        target = reply.replaces_message_id or (card_activity_id if reply.update else None)
        if target and (reply.card is not None or reply.text is not None):
            activity = to_activity(reply)
            activity.id = target
            try:
                await context.update_activity(activity)
            except SendError as exc:
                # The card may be gone (deleted, too old): post it afresh instead.
                log.warning("update in place failed; posting anew", extra={"status": exc.status})
                await context.send_activity(to_activity(reply))
        elif reply.card is not None or reply.text is not None:
            await context.send_activity(to_activity(reply))
        if reply.dialog is not None:
            await self._start_dialog(context, reply.dialog)
        for extra in reply.more:
            await self.reply(context, extra)

    async def _start_dialog(self, context: TurnContext, start: DialogStart) -> None:
        if self._begin_dialog is None or context.activity.from_property is None:
            if start.instead:
                await context.send_activity(start.instead)
            return
        await self._begin_dialog(context, start)

    async def _reply_privately(self, context: TurnContext, reply: Reply) -> None:
        """Into the sender's personal chat with the bot (created if there is none yet)."""
        incoming = context.activity
        sender = incoming.from_property
        tenant = channel_data(incoming).get("tenant_id")
        parameters = ConversationParameters(
            is_group=False,
            bot=incoming.recipient,
            members=[ChannelAccount(id=sender.id if sender else "")],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )
        public = replace(reply, private=False)

        async def deliver(personal: TurnContext) -> None:
            # The new chat's first turn carries no sender; a dialog started there is theirs.
            if personal.activity.from_property is None:
                personal.activity.from_property = sender
            await self.reply(personal, public)

        try:
            await self._open_conversation(context, parameters, deliver)
        except SendError:
            log.warning("could not open a personal chat", exc_info=True)
            await context.send_activity(
                "I couldn't reach you in a personal chat. Open a chat with me in Teams and ask "
                "there."
            )

    async def open_channel_thread(
        self, context: TurnContext, team_id: str, channel_id: str, reply: Reply
    ) -> str | None:
        """A new thread in another channel of a team; the id of its first message.
        (TeamsInfo's helper for this needs an app id, so the adapter's own is used.)"""
        parameters = ConversationParameters(
            is_group=True,
            channel_data={"channel": {"id": channel_id}, "team": {"id": team_id}},
            activity=to_activity(reply),
        )
        posted: dict[str, str | None] = {}

        async def remember(thread: TurnContext) -> None:
            posted["id"] = thread.activity.id if thread.activity else None

        await self._open_conversation(context, parameters, remember)
        return posted.get("id")

    async def _open_conversation(
        self,
        context: TurnContext,
        parameters: ConversationParameters,
        then: Callable[[TurnContext], Awaitable[None]],
    ) -> None:
        incoming = context.activity

        async def create() -> None:
            await self.adapter.create_conversation(
                incoming.recipient.id if incoming.recipient else "",
                then,
                parameters,
                incoming.channel_id,
                incoming.service_url,
                None,
            )

        # Paced with the conversation it was asked from: the new one has no id yet.
        await self.policy.deliver(root_conversation_id(incoming), create)

    async def read(self, call: Callable[[], Awaitable[T]]) -> T:
        return await self.policy.read(call)

    # --- proactive -----------------------------------------------------------------------
    async def post(self, ref: ConversationRef, activity: Activity) -> str | None:
        """One activity into a stored conversation; its id. Raises `SendError`."""
        result: dict[str, str | None] = {}

        async def send(context: TurnContext) -> None:
            response = await context.send_activity(activity)
            result["id"] = getattr(response, "id", None)

        await self._continue(_reference(ref), send)
        return result.get("id")

    async def update_posted(
        self, ref: ConversationRef, conversation_id: str, activity_id: str, reply: Reply
    ) -> bool:
        """Replace a message the bot posted earlier (the channel's checklist card); False when
        Teams refuses (the message is gone or too old), so the caller posts a new one."""
        reference = _reference(ref)
        if reference.conversation is not None:
            reference.conversation.id = conversation_id
        activity = to_activity(reply)
        activity.id = activity_id

        async def update(context: TurnContext) -> None:
            await context.update_activity(activity)

        try:
            await self._continue(reference, update)
        except SendError as exc:
            log.info("message not updated in place (%s); posting anew", exc)
            return False
        return True

    async def _continue(
        self, reference: ConversationReference, then: Callable[[TurnContext], Awaitable[None]]
    ) -> None:
        failure: list[BaseException] = []

        async def callback(context: TurnContext) -> None:
            # Caught here: the adapter would hand it to on_turn_error and report success.
            try:
                await then(context)
            except Exception as exc:
                failure.append(exc)

        try:
            await self.adapter.continue_conversation(reference, callback, self._app_id)
        except Exception as exc:
            raise _final(exc) from exc
        if failure:
            raise _final(failure[0]) from failure[0]


async def say(context: TurnContext, text: str) -> None:
    """A line of text in the turn's conversation (dialog prompts' companions, notices)."""
    await context.send_activity(text)


def _final(exc: BaseException) -> SendError:
    error = send_error(exc)
    if error is exc:
        return error
    return SendError(error.status, str(error), error.retry_after, final=True)


def _reference(ref: ConversationRef) -> ConversationReference:
    reference = ConversationReference().deserialize(ref.reference)
    if not reference.service_url:
        reference.service_url = ref.service_url
    return reference


def to_activity(reply: Reply) -> Activity:
    if reply.card is not None:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(reply.card))
        if reply.text:
            activity.summary = reply.text[:200]
        return activity
    return MessageFactory.text(reply.text or "")
