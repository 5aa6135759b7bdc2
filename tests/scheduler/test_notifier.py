"""TeamsNotifier over the one sender's policy (bot/sender.py): Teams' per-conversation limits,
retries with backoff, Retry-After, failures.

Time is a fake: `sleep` moves a fake monotonic clock instead of waiting, so 300 messages
"take" minutes of fake time and milliseconds of real time.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

import pytest
from botbuilder.schema import Activity

from bot.notifier import TeamsNotifier
from bot.sender import (
    TEAMS_LIMITS,
    ConversationPacer,
    RetryPolicy,
    Sender,
    SendError,
    SendPolicy,
)
from inspection.conversations import ConversationRef
from inspection.errors import NotFound
from inspection.model import Channel, Inspection
from inspection.notifier import DeliveryStatus, OutgoingMessage, Recipient


@dataclass
class FakeTime:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class FakePoster:
    time: FakeTime
    failures: list[SendError] = field(default_factory=list)
    posted: list[tuple[float, str, Activity]] = field(default_factory=list)
    calls: list[float] = field(default_factory=list)

    async def post(self, ref: ConversationRef, activity: Activity) -> str | None:
        self.calls.append(self.time.now)
        if self.failures:
            raise self.failures.pop(0)
        self.posted.append((self.time.now, ref.conversation_id, activity))
        return f"act-{len(self.posted)}"


@dataclass
class PacedPoster:
    """A raw poster under the sender's policy, as `Sender.post` puts every connector call."""

    policy: SendPolicy
    raw: FakePoster

    async def post(self, ref: ConversationRef, activity: Activity) -> str | None:
        return await self.policy.deliver(ref.conversation_id, lambda: self.raw.post(ref, activity))


def policy_for(time: FakeTime, retry: RetryPolicy | None = None) -> SendPolicy:
    return SendPolicy(
        retry or RetryPolicy(),
        pacer=ConversationPacer(monotonic=time.monotonic, sleep=time.sleep),
        sleep=time.sleep,
        jitter=lambda: 0.5,
    )


class FakeConversations:
    def __init__(self) -> None:
        self.refs = {
            "personal:lo-1": ConversationRef(
                "a:personal-lo-1", "personal", "http://x", None, aad_object_id="lo-1"
            ),
            "channel:19:chan@thread.tacv2": ConversationRef(
                "19:chan@thread.tacv2", "channel", "http://x", channel_id="19:chan@thread.tacv2"
            ),
        }

    async def save(self, ref: ConversationRef) -> None:
        raise AssertionError("not used")

    async def personal_for(self, aad_object_id: str) -> ConversationRef | None:
        return self.refs.get(f"personal:{aad_object_id}")

    async def channel(self, channel_id: str) -> ConversationRef | None:
        return self.refs.get(f"channel:{channel_id}")

    async def forget(self, conversation_id: str) -> None:
        raise AssertionError("not used")


class FakeInspections:
    def __init__(self, channel: Channel | None) -> None:
        self.inspection = Inspection(
            framework="jcc-children-social-care",
            inspection_type="full",
            service_name="Synthetic",
            onsite_start=date(2026, 4, 20),
            onsite_end=date(2026, 4, 24),
            channel=channel,
            id=1,
        )

    async def get(self, inspection_id: int) -> Inspection:
        if inspection_id != 1:
            raise NotFound(f"there is no inspection {inspection_id}")
        return self.inspection


def notifier_for(
    time: FakeTime,
    poster: FakePoster,
    channel: Channel | None = None,
    retry: RetryPolicy | None = None,
) -> TeamsNotifier:
    return TeamsNotifier(
        PacedPoster(policy_for(time, retry), poster),
        FakeConversations(),
        FakeInspections(channel or Channel("team-1", "19:chan@thread.tacv2")),  # type: ignore[arg-type]
    )


def message(recipient: Recipient, n: int = 0) -> OutgoingMessage:
    return OutgoingMessage(recipient=recipient, text=f"Reminder {n}")


def assert_within_teams_limits(stamps: list[float]) -> None:
    stamps = sorted(stamps)
    for count, seconds in TEAMS_LIMITS:
        for i, start in enumerate(stamps):
            # Messages in [start, start + seconds): never more than the limit.
            inside = bisect.bisect_left(stamps, start + seconds) - i
            assert inside <= count, f"{inside} messages within {seconds}s (limit {count})"


async def test_300_reminders_to_one_conversation_are_paced() -> None:
    time = FakeTime()
    poster = FakePoster(time)
    notifier = notifier_for(time, poster)
    for n in range(300):
        delivery = await notifier.send(message(Recipient.channel(1), n))
        assert delivery.status == DeliveryStatus.SENT
    stamps = [at for at, _, _ in poster.posted]
    assert len(stamps) == 300
    assert_within_teams_limits(stamps)
    # 60 per 30 s is the binding limit: 300 messages need 4 full windows and then some.
    elapsed = stamps[-1] - stamps[0]
    assert 120 <= elapsed < 135
    # It does not dawdle either: the first seven go at once.
    assert stamps[:7] == [stamps[0]] * 7


async def test_pacing_is_per_conversation() -> None:
    time = FakeTime()
    poster = FakePoster(time)
    notifier = notifier_for(time, poster)
    for n in range(7):
        await notifier.send(message(Recipient.channel(1), n))
        await notifier.send(message(Recipient.person(1, "lo-1"), n))
    assert time.sleeps == []  # 7 each: nobody waited


async def test_hourly_limit() -> None:
    time = FakeTime()
    pacer = ConversationPacer(monotonic=time.monotonic, sleep=time.sleep)
    stamps = []
    for _ in range(1801):
        await pacer.wait("c")
        stamps.append(time.now)
    assert_within_teams_limits(stamps)
    assert stamps[-1] - stamps[0] >= 3600


async def test_429_is_retried_after_its_retry_after() -> None:
    time = FakeTime()
    poster = FakePoster(time, failures=[SendError(429, "Throttled", retry_after=7.0)])
    notifier = notifier_for(time, poster)
    delivery = await notifier.send(message(Recipient.person(1, "lo-1")))
    assert delivery.status == DeliveryStatus.SENT
    assert len(poster.calls) == 2
    assert poster.calls[1] - poster.calls[0] >= 7.0
    assert poster.calls[1] - poster.calls[0] < 7.5


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_retryable_statuses_back_off_exponentially(status: int) -> None:
    time = FakeTime()
    failures = [SendError(status, "busy") for _ in range(3)]
    poster = FakePoster(time, failures=failures)
    notifier = notifier_for(time, poster, retry=RetryPolicy(attempts=4, base_seconds=0.5))
    delivery = await notifier.send(message(Recipient.channel(1)))
    assert delivery.status == DeliveryStatus.SENT
    gaps = [b - a for a, b in zip(poster.calls, poster.calls[1:], strict=False)]
    assert gaps == [0.5, 1.0, 2.0]  # jitter fixed at the middle of its range


async def test_after_retries_the_message_is_failed_with_a_reason() -> None:
    time = FakeTime()
    poster = FakePoster(time, failures=[SendError(502, "Bad gateway") for _ in range(4)])
    notifier = notifier_for(time, poster, retry=RetryPolicy(attempts=4, base_seconds=0.01))
    delivery = await notifier.send(message(Recipient.channel(1)))
    assert delivery.status == DeliveryStatus.FAILED
    assert "502" in delivery.detail and "retried later" in delivery.detail
    assert len(poster.calls) == 4


async def test_a_refusal_that_will_not_change_is_not_retried() -> None:
    time = FakeTime()
    poster = FakePoster(time, failures=[SendError(403, "The bot is not part of the conversation")])
    delivery = await notifier_for(time, poster).send(message(Recipient.channel(1)))
    assert delivery.status == DeliveryStatus.FAILED
    assert len(poster.calls) == 1


async def test_no_conversation_says_what_to_do() -> None:
    time = FakeTime()
    poster = FakePoster(time)
    notifier = notifier_for(time, poster)
    delivery = await notifier.send(message(Recipient.person(1, "dir-1")))
    assert delivery.status == DeliveryStatus.NO_CONVERSATION
    assert "open a chat with the bot" in delivery.detail
    no_channel = TeamsNotifier(
        PacedPoster(policy_for(time), poster),
        FakeConversations(),
        FakeInspections(None),  # type: ignore[arg-type]
    )
    delivery = await no_channel.send(message(Recipient.channel(1)))
    assert delivery.status == DeliveryStatus.NO_CONVERSATION
    assert "no channel yet" in delivery.detail
    assert poster.calls == []


async def test_mentions_are_tagged_in_the_text_and_the_card_attached() -> None:
    time = FakeTime()
    poster = FakePoster(time)
    notifier = notifier_for(time, poster)
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    await notifier.send(
        OutgoingMessage(
            recipient=Recipient.channel(1),
            text="Reminders: Synthetic\n- line",
            card=card,
            mentions=("lo-1",),
            metadata={"mention:lo-1": "Link Officer"},
        )
    )
    activity = poster.posted[0][2]
    assert activity.text == "Reminders: Synthetic\n\n<at>Link Officer</at>"
    # What goes on the wire: the mention entity names the person, so Teams notifies them.
    wire = activity.serialize()["entities"][0]
    assert wire["type"] == "mention" and wire["text"] == "<at>Link Officer</at>"
    assert wire["mentioned"]["id"] == "lo-1" and wire["mentioned"]["name"] == "Link Officer"
    assert activity.attachments[0].content == card


async def test_a_429_from_the_fake_connector_through_the_real_adapter() -> None:
    """The real botbuilder adapter and a loopback connector answering 429 with Retry-After."""
    from bot.adapter import build_adapter
    from settings import load_settings
    from tests.fakes.connector import FakeConnector

    time = FakeTime()
    policy = SendPolicy(
        pacer=ConversationPacer(monotonic=time.monotonic, sleep=time.sleep),
        sleep=time.sleep,
        jitter=lambda: 0.0,
    )
    adapter, authentication = build_adapter(load_settings(MicrosoftAppId=""), policy)
    try:
        async with FakeConnector() as connector:
            connector.fail_next(429, retry_after=3)
            poster = Sender(adapter, "")
            conversations = FakeConversations()
            ref = ConversationRef(
                "a:personal-lo-1",
                "personal",
                connector.url,
                aad_object_id="lo-1",
                reference={
                    "serviceUrl": connector.url,
                    "channelId": "msteams",
                    "conversation": {"id": "a:personal-lo-1", "conversationType": "personal"},
                    "bot": {"id": "28:bot", "name": "Inspection bot"},
                    "user": {"id": "29:lo-1", "aadObjectId": "lo-1"},
                },
            )
            conversations.refs["personal:lo-1"] = ref
            notifier = TeamsNotifier(
                poster,
                conversations,
                FakeInspections(None),  # type: ignore[arg-type]
            )
            delivery = await notifier.send(message(Recipient.person(1, "lo-1")))
            assert delivery.status == DeliveryStatus.SENT, delivery.detail
            assert time.sleeps == [3.0]
            assert connector.texts() == ["Reminder 0"]
    finally:
        await authentication.close()
